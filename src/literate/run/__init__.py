"""Stage 2, running: execute the chapters' code and keep what each block produced.

`execute.Executor` keys each chapter (its code, the package modules it imports, the lock file),
takes what the cache holds and runs the rest in `pool.Pool`: processes forked from one server
(`worker`) that imported torch once, speaking `protocol`'s typed messages. `outputs` holds the
frozen types of what a block produces, which every later stage reads.
"""
