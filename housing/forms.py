from django import forms


class SampleJobForm(forms.Form):
    steps = forms.IntegerField(
        label="Number of steps", min_value=1, max_value=10_000, initial=20,
        help_text="The job counts to this number, a few steps at a time.",
    )
    delay = forms.DecimalField(
        label="Pause between batches, in seconds", min_value=0, max_value=5, initial=0.5,
        decimal_places=1,
    )

    def job_parameters(self) -> dict:
        return {"steps": self.cleaned_data["steps"], "batch": 5,
                "delay": float(self.cleaned_data["delay"])}
