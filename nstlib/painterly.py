"""A deterministic generator of painterly style images for Gatys style transfer.

Style transfer copies *texture statistics* (Gram matrices of VGG features, Gatys et al. 2015), so a
good style image needs strong strokes, edges and colour contrast at several scales. Famous paintings
are not free to ship, so the course paints its own, from a seed, with NumPy fields and Pillow's
``ImageDraw``:

=================  =================================================================
``swirl``          Van Gogh-like: thick outlined brush strokes that follow the
                   contours of a swirling stream function, star halos, blue/yellow
``mosaic``         Roman mosaic: irregular Voronoi tesserae in a rosette, light grout
``pointillism``    Seurat-like: dots of pure colour over a sunny river landscape
``woodcut``        Hokusai-like print: bold Prussian-blue wave bands on cream paper
``cubism``         analytic cubism: overlapping shaded facets with dark outlines
=================  =================================================================

``python -m nstlib.painterly`` regenerates ``datasets/styles/<name>.png``; the same seed always gives
the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from nstlib.errors import NstlibError
from nstlib.plumbing.paths import datasets_dir

DEFAULT_SIZE = 512


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def _palette(*colours: str) -> np.ndarray:
    """``[k, 3]`` float RGB in 0..255 from hex strings."""
    return np.stack([_hex(c) for c in colours])


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """``[size, size]`` smooth noise in ~[-1, 1]: a ``cells``² random grid upsampled bicubically."""
    grid = rng.uniform(-1.0, 1.0, (cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(grid).resize((size, size), Image.Resampling.BICUBIC))


def _fbm(rng: np.random.Generator, size: int, base_cells: int = 4, octaves: int = 4) -> np.ndarray:
    """Fractal noise: octaves of smooth noise, each twice as fine and half as strong."""
    total = np.zeros((size, size), dtype=np.float32)
    for octave in range(octaves):
        total += _smooth_noise(rng, size, base_cells * 2**octave) / 2**octave
    return total / 2


def _to_image(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _grain(rng: np.random.Generator, image: Image.Image, strength: float) -> Image.Image:
    """Add fine canvas/paper grain so flat areas still carry some texture."""
    rgb = np.asarray(image, dtype=np.float32)
    noise = _fbm(rng, image.width, base_cells=image.width // 8, octaves=2)[..., None]
    return _to_image(rgb * (1 + strength * noise))


def _swirl(rng: np.random.Generator, size: int) -> Image.Image:
    # Strokes follow the contours of a stream function psi, and colour bands are levels of psi, so
    # bands and strokes swirl together around each "star" (a Gaussian bump in psi).
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    psi = 1.2 * y + 0.08 * np.sin(7 * x + 3 * y)
    for _ in range(6):
        cx, cy = rng.uniform(0.1, 0.9, 2)
        sigma, strength = rng.uniform(0.06, 0.16), rng.choice([-1, 1]) * rng.uniform(0.3, 0.6)
        psi += strength * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
    psi += 0.05 * _fbm(rng, size, base_cells=3)
    gy, gx = np.gradient(psi)
    norm = np.hypot(gx, gy) + 1e-12
    flow_x, flow_y = -gy / norm, gx / norm  # perpendicular to the gradient: along the contours

    palette = _palette("#0d1b4c", "#1f3f8f", "#3a72c4", "#7fb6e0", "#f2e27a", "#f7f3d6", "#2c5aa0")
    band = (psi * 9) % len(palette)

    base = palette[band.astype(int)].astype(np.uint8)  # fills any gaps the strokes leave
    image = Image.fromarray(base).filter(ImageFilter.GaussianBlur(size / 128))
    draw = ImageDraw.Draw(image)

    scale = size / DEFAULT_SIZE
    for width, count, length in ((9, 2500, 16), (6, 5000, 12), (4, 6000, 8)):
        points = rng.uniform(0, size - 1, (count, 2))
        path = [points.copy()]
        for _ in range(length):
            i = np.clip(points[:, 1].astype(int), 0, size - 1)
            j = np.clip(points[:, 0].astype(int), 0, size - 1)
            points = points + 2.0 * scale * np.stack([flow_x[i, j], flow_y[i, j]], axis=1)
            path.append(points.copy())
        strokes = np.stack(path, axis=1)  # [count, length + 1, 2]
        start = np.clip(strokes[:, 0].astype(int), 0, size - 1)
        colours = palette[band[start[:, 1], start[:, 0]].astype(int)]
        colours = colours * rng.uniform(0.85, 1.15, (count, 1))
        stroke_width = max(2, round(width * scale))
        for stroke, colour in zip(strokes, colours, strict=True):
            line = [tuple(p) for p in stroke]
            dark = tuple(int(c) for c in np.clip(colour * 0.55, 0, 255))
            draw.line(line, fill=dark, width=stroke_width + 2, joint="curve")
            draw.line(line, fill=tuple(int(c) for c in np.clip(colour, 0, 255)), width=stroke_width)
    return _grain(rng, image, 0.06)


def _voronoi_grid(
    rng: np.random.Generator, size: int, cell: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Voronoi cells of a jittered grid: (seed id, seed xy, gap to the 2nd-nearest seed) per pixel.

    With one seed per grid cell, a pixel's two nearest seeds lie in its 5×5 cell neighbourhood,
    so plain NumPy suffices (no k-d tree). Two rings of seeds outside the image keep the cells at
    the edges whole.
    """
    cells = -(-size // cell) + 4
    grid = np.stack(np.mgrid[0:cells, 0:cells][::-1], -1) - 2
    seeds = (grid + rng.uniform(0.1, 0.9, (cells, cells, 2))) * cell
    y, x = np.mgrid[0:size, 0:size]
    offsets = np.arange(-2, 3)
    di, dj = (a.ravel() for a in np.meshgrid(offsets, offsets, indexing="ij"))
    ni, nj = y[..., None] // cell + 2 + di, x[..., None] // cell + 2 + dj
    candidates = seeds[ni, nj]  # [size, size, 25, 2]
    dist = np.hypot(candidates[..., 0] - x[..., None], candidates[..., 1] - y[..., None])
    order = np.argsort(dist, axis=-1)
    first, second = np.take_along_axis(dist, order[..., :2], axis=-1).transpose(2, 0, 1)
    nearest = order[..., :1]
    seed_i = np.take_along_axis(ni, nearest, -1)[..., 0]
    seed_j = np.take_along_axis(nj, nearest, -1)[..., 0]
    return seed_i * cells + seed_j, seeds[seed_i, seed_j], second - first


def _mosaic(rng: np.random.Generator, size: int) -> Image.Image:
    cell = max(4, round(14 * size / DEFAULT_SIZE))
    tile_id, seed_xy, gap = _voronoi_grid(rng, size, cell)
    # The motif is sampled at each tile's seed, so every tessera has one colour, as in stone.
    u, v = seed_xy[..., 0] / size - 0.5, seed_xy[..., 1] / size - 0.5
    radius, angle = np.hypot(u, v), np.arctan2(v, u)
    petals = radius * 9 + 0.6 * np.cos(8 * angle) * (radius < 0.3)
    palette = _palette("#f2e8d0", "#b5452a", "#2d3e5e", "#d9a441", "#5b7f4a", "#7c2e1f", "#e4c9a0")
    index = np.floor(petals).astype(int) % len(palette)
    border = np.maximum(np.abs(u), np.abs(v)) > 0.43
    index = np.where(border, np.where((np.floor((u + v) * 24) % 2) == 0, 2, 3), index)
    colour = palette[index]
    jitter = rng.uniform(0.85, 1.12, tile_id.max() + 1)[tile_id][..., None]
    # A tilt per tile mimics tesserae set at slightly different angles, catching the light.
    tilt = rng.normal(0, 0.012, (tile_id.max() + 1, 2))[tile_id]
    x, y = np.meshgrid(np.arange(size), np.arange(size))
    light = 1 + tilt[..., 0] * (x - seed_xy[..., 0]) + tilt[..., 1] * (y - seed_xy[..., 1])
    rgb = (
        colour * jitter * light[..., None] * (1 + 0.06 * _fbm(rng, size, size // 16, 2)[..., None])
    )
    grout = gap < max(1.5, 2.2 * size / DEFAULT_SIZE)
    grout_colour = _hex("#8a8275") * (1 + 0.15 * _fbm(rng, size, size // 8, 2)[..., None])
    return _to_image(np.where(grout[..., None], grout_colour, rgb))


def _pointillism(rng: np.random.Generator, size: int) -> Image.Image:
    # A simple sunny landscape; each dot takes a pure hue near the scene's colour there, as Seurat
    # juxtaposed pure colours for the eye to mix.
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    horizon = 0.45 + 0.04 * np.sin(9 * x)
    hills = 0.55 + 0.08 * np.sin(5 * x + 1) + 0.03 * np.sin(17 * x)
    river = np.abs(y - 0.8 - 0.06 * np.sin(6 * x)) < 0.05 + 0.04 * x
    sun = np.hypot(x - 0.72, y - 0.2) < 0.09
    scene = np.select(
        [sun, y < horizon, y < hills, river],
        [0, 1, 2, 3],
        default=4,
    )
    families = [  # per region: the pure hues its dots are drawn from
        _palette("#fff07a", "#ffd23f", "#ffffff", "#ffb347"),
        _palette("#8ec5ff", "#c9e4ff", "#ffd6e8", "#fff3b0", "#6fa8ff"),
        _palette("#3b5ba9", "#6a4c93", "#4f8fbf", "#9b7ec8"),
        _palette("#2a7de1", "#67c6ff", "#ffffff", "#f7a8c4"),
        _palette("#2e9e44", "#a8d83f", "#f2d03b", "#1f6e5c", "#e86f2c"),
    ]
    image = Image.new("RGB", (size, size), (238, 230, 212))
    draw = ImageDraw.Draw(image)
    scale = size / DEFAULT_SIZE
    for radius, count in ((7, 3500), (5, 7000), (3.5, 12000), (2.5, 12000)):
        centres = rng.uniform(0, size, (count, 2))
        regions = scene[centres[:, 1].astype(int), centres[:, 0].astype(int)]
        for (cx, cy), region in zip(centres, regions, strict=True):
            family = families[region]
            colour = family[rng.integers(len(family))] * rng.uniform(0.9, 1.05)
            r = radius * scale * rng.uniform(0.8, 1.2)
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r),
                fill=tuple(int(c) for c in np.clip(colour, 0, 255)),
            )
    return image


def _woodcut(rng: np.random.Generator, size: int) -> Image.Image:
    # Bands are level sets of a domain-warped height field; the ink threshold grows towards the
    # bottom, so ink lines swell like cuts in a block. Widths are measured in pixels via the
    # gradient, so key lines stay thin where the bands spread out.
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    warp = 0.25 * _fbm(rng, size, base_cells=3, octaves=3)
    crest = 0.18 * np.exp(-((x - 0.35) ** 2) / 0.05) * np.sin(np.pi * np.clip(x * 2.2, 0, 2))
    cycles = (y + 0.07 * np.sin(2 * np.pi * (2.5 * x + warp)) - crest + 0.5 * warp) * 22
    phase = cycles % 1.0
    cycles_per_pixel = np.hypot(*np.gradient(cycles)) + 1e-6
    thickness = 0.25 + 0.35 * y
    ink = phase < thickness
    line_px = size / DEFAULT_SIZE
    outline = np.abs(phase - thickness) / cycles_per_pixel < 1.2 * line_px
    wash = (phase > thickness) & (phase < 0.75)
    foam = wash & (_fbm(rng, size, base_cells=size // 12, octaves=2) > 0.2)
    paper = _hex("#efe4c8") * (1 + 0.05 * _fbm(rng, size, size // 4, 2)[..., None])
    rgb = np.where(wash[..., None], _hex("#9dbcd4"), paper)
    rgb = np.where(ink[..., None], _hex("#1d3a6e"), rgb)
    rgb = np.where(outline[..., None], _hex("#15120f"), rgb)
    rgb = np.where(foam[..., None], _hex("#fbf7ea"), rgb)
    return _to_image(rgb)


def _cubism(rng: np.random.Generator, size: int) -> Image.Image:
    palette = _palette("#c8a165", "#8b5a2b", "#5e6b4a", "#4a5d73", "#d8cfb6", "#2f2a26", "#b3764a")
    image = Image.new("RGB", (size, size), tuple(int(c) for c in palette[0]))
    scale = size / DEFAULT_SIZE
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for _ in range(90):
        centre = rng.uniform(0, size, 2)
        extent = rng.uniform(50, 170) * scale
        # Corners at sorted angles around the centre make a convex-ish facet, never a bow tie.
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(4, 7)))
        radii = extent * rng.uniform(0.5, 1.0, angles.size)
        corners = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        polygon = [tuple(p) for p in corners]
        mask = Image.new("L", (size, size), 0)
        ImageDraw.Draw(mask).polygon(polygon, fill=int(rng.uniform(150, 235)))
        # Each facet is shaded along a random direction, so planes seem to turn towards the light.
        direction = rng.normal(size=2)
        direction /= np.linalg.norm(direction)
        ramp = ((xx - centre[0]) * direction[0] + (yy - centre[1]) * direction[1]) / (2 * extent)
        shade = 0.75 + 0.5 * np.clip(ramp + 0.5, 0, 1)
        facet = _to_image(palette[rng.integers(len(palette))] * shade[..., None])
        image = Image.composite(facet, image, mask)
        draw = ImageDraw.Draw(image)
        if rng.random() < 0.4:  # hatching inside some facets
            step = round(7 * scale) + 1
            hatch = Image.new("L", (size, size), 0)
            hatch_draw = ImageDraw.Draw(hatch)
            for offset in range(-size, size, step):
                hatch_draw.line([(offset, 0), (offset + size, size)], fill=120, width=2)
            hatch_mask = Image.fromarray(np.minimum(np.asarray(hatch), np.asarray(mask)))
            image.paste(tuple(int(c) for c in palette[5]), mask=hatch_mask)
            draw = ImageDraw.Draw(image)
        draw.line(polygon + [polygon[0]], fill=(40, 32, 28), width=max(1, round(3 * scale)))
    return _grain(rng, image, 0.08)


_PAINTERS: dict[str, Callable[[np.random.Generator, int], Image.Image]] = {
    "swirl": _swirl,
    "mosaic": _mosaic,
    "pointillism": _pointillism,
    "woodcut": _woodcut,
    "cubism": _cubism,
}
PAINTERLY_STYLES: tuple[str, ...] = tuple(_PAINTERS)


def paint(name: str, size: int = DEFAULT_SIZE, seed: int = 0) -> Image.Image:
    """Paint style ``name`` as a ``size``×``size`` RGB Pillow image; same seed, same pixels."""
    if name not in _PAINTERS:
        raise NstlibError(
            f"Unknown painterly style {name!r}; choose one of {', '.join(_PAINTERS)}."
        )
    if size < 64:
        raise NstlibError(f"size={size} is too small for a painterly style; use at least 64.")
    return _PAINTERS[name](np.random.default_rng(seed), size)


def write_styles(folder: str | Path, size: int = DEFAULT_SIZE, seed: int = 0) -> list[Path]:
    """Write every style as ``folder/<name>.png`` and return the paths."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NstlibError(f"Folder {folder} does not exist; create it first.")
    paths = []
    for name in PAINTERLY_STYLES:
        path = folder / f"{name}.png"
        paint(name, size, seed).save(path, optimize=True)
        paths.append(path)
    return paths


def main() -> None:
    """Regenerate ``datasets/styles/*.png`` (``python -m nstlib.painterly``)."""
    folder = datasets_dir() / "styles"
    folder.mkdir(exist_ok=True)
    for path in write_styles(folder):
        print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
