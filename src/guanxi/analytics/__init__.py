"""Analytics: RFM segments, buy-till-you-die models (BG/NBD, Gamma-Gamma) and CLV.

Everything here is plain functions over NumPy arrays: no database, no web. The modules:
``summary`` (transactions to frequency/recency/age), ``bgnbd``, ``gamma_gamma``, ``clv``,
``rfm``, ``cdnow`` (the public CDNOW purchase logs) and ``log_space`` (the shared
maximum-likelihood search).
"""
