"""The pipeline: scenario files and notebooks in, executed notebooks and offline HTML out.

Kept apart from the maths (``neocloud.model.deal`` and friends) and the charts (``neocloud.report.charts``);
each module does one job:

* :mod:`~neocloud.pipeline.render`: the ``neocloud render`` command (what to render, the summary);
* :mod:`~neocloud.pipeline.reports`: a report, its status and a render's result;
* :mod:`~neocloud.pipeline.cache`: cache keys and the headline figures computed once per scenario;
* :mod:`~neocloud.pipeline.stamp`: the no-op render, answered from a stamp of every input's digest;
* :mod:`~neocloud.pipeline.files`: atomic writes, the outputs lock, who owns an outputs folder;
* :mod:`~neocloud.pipeline.execute`: one report through papermill and the HTML exporter;
* :mod:`~neocloud.pipeline.pool`: the worker processes that execute reports in parallel;
* :mod:`~neocloud.pipeline.kernels`: the warm Jupyter kernel each worker keeps;
* :mod:`~neocloud.pipeline.export`: the ``neocloud-report`` nbconvert exporter;
* :mod:`~neocloud.pipeline.index`: ``outputs/index.html``, its rows and its HTML;
* :mod:`~neocloud.pipeline.notebooks`: what each report depends on (its declaration), and keeping the
  committed notebooks in step with ``params/base.yaml``.
"""
