"""A profile's runs and grids as one graph of cells (`graph`), executed in this process or on a Dask cluster
(`cluster`, `executor`), each cell of a grid linked and listed under `build/<profile>/cells/` (`cells`), with the
remaining time predicted from kept runs (`eta`).

Each cell is one analysis with one fully resolved parameter set and its upstream cells; a profile without grids
is one cell per analysis, and a downstream analysis runs once per upstream cell. A cell is executed by
`execution.runner.run`, so it keeps the content-hash cache (a kept cell is not run again) and its outputs are moved
into the run store atomically when it succeeds. Only parameters, paths and small facts travel through the scheduler.
"""
