"""Which Facebook pages we answer for, with which token and app secret, for which brand.

``MESSENGER_PAGE_ID``/``MESSENGER_PAGE_ACCESS_TOKEN`` is the first page; brand files add more
(``channels.messenger``, each naming the environment variable that holds its token). A page
whose token is not set is not served, and the log says which variable is missing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from bot.brand.brand_file import brand_slugs, load_brand
from bot.brand.errors import BrandError
from bot.keys import problem_with
from bot.settings import get_settings
from connectors.graph_api import DEFAULT_GRAPH_URL

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """A Facebook page we answer for, and the brand whose catalogue and voice it uses."""

    page_id: str
    access_token: str = field(repr=False)
    brand: str


@dataclass(frozen=True)
class MessengerConfig:
    app_secret: bytes = field(repr=False)
    verify_token: str = field(repr=False)
    pages: dict[str, Page]
    graph_url: str = DEFAULT_GRAPH_URL

    @classmethod
    def from_values(
        cls,
        page_id: str,
        page_access_token: str,
        app_secret: str,
        verify_token: str,
        graph_url: str | None = None,
    ) -> MessengerConfig:
        """Validate the values of the environment; raise ValueError with what is wrong."""
        for name, value in (
            ("MESSENGER_APP_SECRET", app_secret),
            ("MESSENGER_VERIFY_TOKEN", verify_token),
        ):
            problem = problem_with(value)
            if problem:
                raise ValueError(f"{name} {problem}")
        if not str(page_id).strip() or not str(page_access_token).strip():
            raise ValueError("MESSENGER_PAGE_ID and MESSENGER_PAGE_ACCESS_TOKEN must be set")
        pages = pages_from_brands()
        first = str(page_id).strip()
        brand = pages[first].brand if first in pages else get_settings().default_brand
        pages[first] = Page(first, str(page_access_token).strip(), brand)
        return cls(
            app_secret=app_secret.strip().encode("utf-8"),
            verify_token=verify_token.strip(),
            pages=pages,
            graph_url=(graph_url or DEFAULT_GRAPH_URL).strip(),
        )

    @classmethod
    def from_env(cls) -> MessengerConfig:
        return cls.from_values(
            os.environ.get("MESSENGER_PAGE_ID", ""),
            os.environ.get("MESSENGER_PAGE_ACCESS_TOKEN", ""),
            os.environ.get("MESSENGER_APP_SECRET", ""),
            os.environ.get("MESSENGER_VERIFY_TOKEN", ""),
            os.environ.get("MESSENGER_GRAPH_URL") or None,
        )


def pages_from_brands() -> dict[str, Page]:
    """Pages the brand files declare whose token is set in the environment."""
    pages: dict[str, Page] = {}
    for slug in brand_slugs():
        try:
            brand = load_brand(slug)
        except BrandError as error:
            logger.error("brand %s not loaded, its pages are not served: %s", slug, error)
            continue
        for page in brand.messenger_pages:
            token = os.environ.get(page.access_token_env, "").strip()
            if not token:
                logger.error(
                    "page %s of brand %s not served: %s is not set",
                    page.page_id,
                    slug,
                    page.access_token_env,
                )
                continue
            pages[page.page_id] = Page(page.page_id, token, slug)
    return pages
