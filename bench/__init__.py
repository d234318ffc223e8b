"""Benchmarks: ratios against baselines measured in the same run.

``python -m bench`` (or ``make bench``) runs:

- ``fleet`` (``bench.fleet``): 1, 10, 50 and 100 hosted models destroyed at once under the service's
  5 requests/s per API quota (current and realistic durations), and 20 with non-aligned ones, by
  this provider and two CDK Provider framework baselines (throttling failing the resource, and
  tolerated); each wall time ÷ the quota-aware bound of the run's own durations (``bench.bound``);
- ``teardown`` (``bench.teardown``): one model with non-aligned random durations: each contender's
  excess over the service's own time, against the CDK Provider and crhelper baselines;
- ``validity`` (``bench.validity``): the rig checked: the bound against brute force, an oracle
  client against the bound, the same fleet at two time scales;
- ``cold_start`` (``bench.coldstart``): a fresh python3.13 process running the asset as shipped to
  its first Lookout for Vision call answered ÷ a bare function's DescribeModel with the runtime's
  boto3, and the Lambda asset's zipped size;
- ``synth`` (``bench.synth``): the example app ÷ a bare stack, a 50-model stack, template growth.

It prints every figure and writes bench/results/results.json, results.md and plot.png.
``--only fleet,teardown`` runs a subset; ``--fleet-case non_aligned:20:1`` the fleet benchmark's
cases instead of its defaults; ``--quick`` runs tiny sizes (a check of the harness, not figures to
quote); ``--out DIR`` writes elsewhere.
"""
