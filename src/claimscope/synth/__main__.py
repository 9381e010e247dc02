"""``python -m claimscope.synth``: print the calibration solution (targets vs solved mix)."""

from claimscope.synth.calibrate import describe, solve

print(describe(solve()))
