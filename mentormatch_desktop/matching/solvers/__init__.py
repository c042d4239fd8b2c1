"""Matching solvers: the algorithms behind the built-in strategy plugins.

``greedy`` and ``stable`` are baselines a coordinator compares against; ``optimizer`` proves
its answers (min-cost flow, Lagrangian relaxation, CP-SAT); ``peer`` matches one pool.
The plugins under ``plugins/matching`` wrap these functions as strategies.
"""
