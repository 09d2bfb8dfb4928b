"""Float16 rounding reference for SafetensorsTest, made by numpy (not libtorch, which the writer uses).

float16-inputs.f32    little-endian float32 values: special cases, every exact tie between two
                      neighbouring float16 values in a sample (normal and subnormal), and random
                      values over float16's whole range and beyond (overflow, underflow)
float16-expected.f16  numpy's float32 -> float16 (IEEE 754 round to nearest, ties to even) of each

Run: python3 make_fixture.py   (numpy 2.x; the output does not depend on the numpy version)
"""
import numpy as np

rng = np.random.default_rng(3407)
special = np.array([0.0, -0.0, 1.0, -2.0, 0.1, 1 / 3, 65504.0, 65519.99, 65520.0, -70000.0,
                    np.inf, -np.inf, 2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 2.0 ** -26, 1e-8],
                   dtype=np.float32)
# ties: the midpoint of two neighbouring float16 values is exact in float32
halves = rng.integers(0, 0x7BFF, size=1024).astype(np.uint16).view(np.float16)
low = halves.astype(np.float32)
high = np.nextafter(halves, np.float16(np.inf)).astype(np.float32)
ties = ((low.astype(np.float64) + high.astype(np.float64)) / 2).astype(np.float32)
assert np.all((ties.astype(np.float64) * 2) == (low.astype(np.float64) + high.astype(np.float64)))
ties = np.concatenate([ties, -ties])
# random magnitudes from 2^-27 (below the smallest subnormal) to 2^17 (beyond the largest float16)
magnitudes = np.exp2(rng.uniform(-27, 17, size=3000)).astype(np.float32)
randoms = magnitudes * rng.choice(np.array([-1, 1], dtype=np.float32), size=3000)
inputs = np.concatenate([special, ties, randoms]).astype('<f4')
inputs.tofile('float16-inputs.f32')
inputs.astype('<f2').tofile('float16-expected.f16')
print(len(inputs), 'values')
