"""Staff screens: booking and rebooking appointments."""

urlpatterns: list = []
