"""One thin module per DVC stage: read inputs, call the library, write outputs and metrics atomically.

Every module here exposes ``run(paths, params) -> None`` and is called by ``python -m pact_analysis
STAGE`` (:mod:`pact_analysis.__main__`). ``params`` is the validated parameters
(:func:`pact_analysis.params.load_params`); ``paths`` a :class:`pact_analysis.paths.Paths`.
"""
