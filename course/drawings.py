"""Turn MNIST digits into "drawings", the way a person would draw them on the app's canvas.

A digit is thinned to a one-pixel skeleton (Zhang-Suen thinning), the
skeleton is traced into pen strokes (polylines), and the strokes are drawn
again at any size, position and pen width -- with Pillow for offline tests,
or with real pointer events in a browser. Used by the lesson 6 checks, the
project's tests and the app benchmark.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageDraw

NEIGHBOURS = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]  # P2..P9, clockwise


def skeleton(digit, threshold=0.5) -> np.ndarray:
    """Zhang-Suen thinning of ``digit > threshold``: a boolean array one pixel wide."""
    image = np.pad(np.asarray(digit, dtype=float) > threshold * (255 if np.max(digit) > 1 else 1), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(image, -dy, axis=0), -dx, axis=1) for dy, dx in NEIGHBOURS]
            count = sum(q.astype(int) for q in p)
            transitions = sum(((~p[i]) & p[(i + 1) % 8]).astype(int) for i in range(8))
            if step == 0:
                condition = ~(p[0] & p[2] & p[4]) & ~(p[2] & p[4] & p[6])
            else:
                condition = ~(p[0] & p[2] & p[6]) & ~(p[0] & p[4] & p[6])
            remove = image & (count >= 2) & (count <= 6) & (transitions == 1) & condition
            if remove.any():
                image = image & ~remove
                changed = True
    return image[1:-1, 1:-1]


def strokes(digit, upsample=4) -> list[list[tuple[float, float]]]:
    """Pen strokes tracing the digit's skeleton: lists of (x, y) in 28 x 28 pixel coordinates.

    The digit is enlarged ``upsample`` times before thinning, so the skeleton
    follows the stroke's middle more closely than 28 x 28 pixels allow.
    """
    digit = np.asarray(digit, dtype=np.float32)
    digit = digit / 255.0 if digit.max() > 1 else digit
    size = digit.shape[0] * upsample
    big = Image.fromarray(np.uint8(digit * 255)).resize((size, size), Image.Resampling.BICUBIC)
    skel = skeleton(np.asarray(big, dtype=np.float32) / 255.0)
    points = {(int(y), int(x)) for y, x in zip(*np.nonzero(skel))}

    def neighbours(point):
        y, x = point
        return [(y + dy, x + dx) for dy, dx in NEIGHBOURS if (y + dy, x + dx) in points]

    used_edges: set[frozenset] = set()
    visited: set[tuple[int, int]] = set()
    paths = []
    # Start at line ends (one neighbour) so strokes run end to end, then anything left (loops).
    starts = sorted(points, key=lambda point: (len(neighbours(point)) != 1, point))
    for start in starts:
        if start in visited and all(frozenset((start, other)) in used_edges for other in neighbours(start)):
            continue
        path, current = [start], start
        visited.add(start)
        while True:
            options = [other for other in neighbours(current) if frozenset((current, other)) not in used_edges]
            if not options:
                break
            # Prefer unvisited pixels, and straight (4-connected) steps over diagonal ones.
            options.sort(key=lambda other: (other in visited, abs(other[0] - current[0]) + abs(other[1] - current[1])))
            following = options[0]
            used_edges.add(frozenset((current, following)))
            path.append(following)
            visited.add(following)
            current = following
        paths.append(smooth([((x + 0.5) / upsample, (y + 0.5) / upsample) for y, x in path], passes=2 * upsample))
    return paths


def smooth(path, passes=2):
    """Round off the skeleton's pixel stair-steps (a moving average that keeps both ends)."""
    points = np.asarray(path, dtype=float)
    for _ in range(passes):
        if len(points) < 3:
            break
        points[1:-1] = (points[:-2] + points[1:-1] + points[2:]) / 3.0
    return [tuple(point) for point in points]


def place(paths, canvas_size, scale, centre, box=20.0):
    """Map 28 x 28 stroke coordinates onto a canvas: the digit's 20-pixel box becomes scale * canvas_size."""
    factor = scale * canvas_size / box
    cx, cy = centre
    return [[(cx + (x - 14.0) * factor, cy + (y - 14.0) * factor) for x, y in path] for path in paths]


def render(paths, canvas_size=280, scale=0.7, centre=None, width=None, ink=(0, 0, 0, 255), background=(0, 0, 0, 0)):
    """Draw strokes with a round pen: an RGBA image like the app's canvas exports (transparent by default)."""
    centre = centre or (canvas_size / 2, canvas_size / 2)
    return _pen(place(paths, canvas_size, scale, centre), canvas_size, width, ink, background)


def _pen(placed, canvas_size, width, ink, background):
    """Paths already in canvas coordinates, drawn as the page's canvas draws: round pen, round joins."""
    width = width or canvas_size / 14
    image = Image.new("RGBA", (canvas_size, canvas_size), background)
    pen = ImageDraw.Draw(image)
    radius = width / 2
    for path in placed:
        if len(path) > 1:
            pen.line(path, fill=ink, width=max(1, round(width)), joint="curve")
        for x, y in path:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
    return image


def _random_centre(rng, scale, canvas_size):
    """A random centre that keeps a digit of ``scale`` times the canvas inside it."""
    half = scale * canvas_size / 2
    return (rng.uniform(half, canvas_size - half), rng.uniform(half, canvas_size - half))


def random_drawing(digit, rng, canvas_size=280, scales=(0.4, 0.9), widths=(0.04, 0.11)):
    """A drawing of ``digit`` at a random size (share of the canvas), position and pen width."""
    scale = rng.uniform(*scales)
    centre = _random_centre(rng, scale, canvas_size)
    width = rng.uniform(*widths) * canvas_size
    return render(strokes(digit), canvas_size, scale, centre, width)


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(picture) -> str:
    """A PNG data URL, as the app's canvas sends it: from an image, or from raw bytes (even broken ones)."""
    data = picture if isinstance(picture, bytes) else png_bytes(picture)
    return "data:image/png;base64," + base64.b64encode(data).decode()


def place_strokes(strokes, canvas_size, scale, centre):
    """Map pen strokes (any units) onto a canvas.

    The digit's height (or width, if wider) becomes scale * canvas_size.
    """
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    factor = scale * canvas_size / max(float((high - low).max()), 1.0)
    middle = (low + high) / 2
    cx, cy = centre
    return [[(cx + (x - middle[0]) * factor, cy + (y - middle[1]) * factor) for x, y in stroke] for stroke in strokes]


def render_strokes(
    strokes, canvas_size=280, scale=0.7, centre=None, width=None, ink=(0, 0, 0, 255), background=(0, 0, 0, 0)
):
    """Draw pen strokes as the app's canvas does (round pen, round joins): an RGBA image, transparent by default."""
    centre = centre or (canvas_size / 2, canvas_size / 2)
    return _pen(place_strokes(strokes, canvas_size, scale, centre), canvas_size, width, ink, background)


def random_canvas_drawing(strokes, rng, canvas_size=280, scales=(0.4, 0.9), widths=(0.05, 0.09), flip_polarity=0.25):
    """Pen strokes drawn as a user of the page might: a random size and place, a pen near the page's own
    (canvas_size / 14), black on the transparent canvas, or now and then white on black (an upload)."""
    scale = rng.uniform(*scales)
    centre = _random_centre(rng, scale, canvas_size)
    width = rng.uniform(*widths) * canvas_size
    if rng.random() < flip_polarity:
        return render_strokes(
            strokes, canvas_size, scale, centre, width, ink=(255, 255, 255, 255), background=(0, 0, 0, 255)
        )
    return render_strokes(strokes, canvas_size, scale, centre, width)
