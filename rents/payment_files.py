"""Payment and Housing Benefit files: parsing each layout, checking control totals, and posting a
whole file at once (a background job), with unknown references to suspense.
"""
