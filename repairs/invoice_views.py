"""Staff screens: invoices to check and approve."""

urlpatterns: list = []
