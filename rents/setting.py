"""Annual rent setting: proposing a rent review from the year's policy, approving it (a different
person), applying the new charges, and rent-change letters (a background job).
"""
