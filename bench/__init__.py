"""Benchmarks: ratios against baselines measured in the same run.

``python -m bench`` (or ``make bench``) runs, in a few minutes on 2 cores:

- ``teardown`` (``bench.teardown``): a hosted model's Delete, from the emulator's record of the
  version leaving ListModels to the SUCCESS response, for this provider and for two baseline
  schedules replayed through the same code (crhelper's defaults, CDK's Provider framework);
- ``scale`` (``bench.scale``): 1, 10 and 50 hosted models destroyed at once under the service's
  5 requests/s per API quota, through the local Lambda;
- ``cold_start`` (``bench.coldstart``): a fresh python3.13 process running the asset as shipped to
  its first DescribeModel answered ÷ a bare function doing that call with the runtime's boto3, and
  the Lambda asset's zipped size;
- ``synth`` (``bench.synth``): the example app ÷ a bare stack, a 50-model stack, template growth.

It prints every figure and writes bench/results/results.json, results.md and plot.png.
``--only teardown,scale`` runs a subset; ``--quick`` runs tiny sizes (a check of the harness,
not figures to quote); ``--out DIR`` writes elsewhere.
"""
