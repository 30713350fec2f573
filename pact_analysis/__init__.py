"""pact-analysis: the reproducible study behind PACT's segmentation strategy.

Link persons across the social-services sources of Castilla y León, pseudonymise them, segment the
population, model chronicity on minimum income and evaluate the PACT pilot. The embedded default data
is a synthetic region with known truth (:mod:`pact_analysis.synth`).
"""

__version__ = "0.5.4"
