"""The domain: experiments, risk, lifecycle, identity and the audit ledger. Pure Python, no I/O."""
