"""Our numbers beside the papers': what the authors published, and how far a number moves by seed alone.

* :mod:`.jain_wallace`: the numbers Jain & Wallace (2019) released (Table 2, test metrics, the per-bin quartiles
  of their permutation and adversarial figures), read from the CSV files beside it. A second paper's numbers go
  beside it as a package of their own.
* :mod:`.seed_variance`: statistics over runs that differ only in their seed, the yardstick for any difference.
"""
