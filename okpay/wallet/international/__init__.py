"""International transfers, the wallet's sub-domain: `actions` (submit against a locked quote, the
transfer's state machine, cancel, payout, compliance review, the deadline sweep), `screening` (allow /
review / block and the recipient rules), `limits` (what a verification level still allows), and the
customer's pages (`forms`, `views`, `urls` at /account/international/). Quotes and rates are the
wallet's (`wallet.fx`); the states and their moves are in `wallet.choices`."""
