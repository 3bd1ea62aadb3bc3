"""Rent reports as background jobs (on screen and CSV): rent roll, collection rate, arrears by
band, suspense items, accounts in credit.
"""
