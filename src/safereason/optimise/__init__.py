"""Offline optimisers that prepare inputs for attacks (run on their own, not in a grid).

``gcg``: a universal adversarial suffix for the ``adv_suffix`` attack.
"""
