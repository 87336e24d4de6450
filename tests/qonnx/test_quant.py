import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.qonnx.quant import quant_exact, quant_fixed_type


@pytest.mark.parametrize("bits,signed,narrow", [(4, True, False), (4, True, True), (6, False, False)])
def test_quant_matches_qonnx_definition_and_fits_its_fixed_type(bits, signed, narrow):
    from qonnx.custom_op.general.quant import quant

    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, 5000)
    y = quant_exact(x, 2.0 ** -3, 0.0, bits, signed, narrow)
    ref = quant(x.astype(np.float32), np.float32(2.0 ** -3), np.float32(0), np.float32(bits), signed, narrow, "ROUND")
    np.testing.assert_array_equal(y, ref.astype(np.float64))
    t = quant_fixed_type(2.0 ** -3, 0.0, bits, signed)
    lsb = 2.0 ** (t.integer - t.width)
    assert np.all(y / lsb == np.round(y / lsb))  # every output is on the type's grid
    hi = 2.0 ** (t.integer - (1 if signed else 0))
    assert y.max() < hi and (not signed or y.min() >= -hi)


def test_non_power_of_two_scale_is_refused_by_name():
    with pytest.raises(InvalidInputError, match="q7: scale .* not a single power of two"):
        quant_fixed_type(0.3, 0.0, 4, True, name="q7")
