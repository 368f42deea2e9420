"""Pytest plugin: one headless Chromium per session (Playwright, async API), a page per test."""

import re
import warnings
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _skip_reason() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
async def browser():
    """One Chromium for the whole run; pages get their own contexts (cookies, storage)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser, request):
    """A page in a fresh context; a screenshot of its last state lands in test-artifacts/."""
    from playwright.async_api import Error as PlaywrightError

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = artifact_name(request.node.name)
    for index, open_page in enumerate(context.pages):
        path = ARTIFACTS / (f"{name}.png" if index == 0 else f"{name}-{index}.png")
        try:
            await open_page.screenshot(path=path)
        except PlaywrightError as exc:  # a crashed page must not hide the test's own result
            warnings.warn(f"no screenshot {path.name}: {exc}", stacklevel=1)
    await context.close()


def artifact_name(test_name: str) -> str:
    """Test ids may hold brackets and slashes (parametrised); keep a file-system-safe name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
