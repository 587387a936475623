"""The composition root: builds every application service from one ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.access_log import AccessLogService
from qa_engine.audits import QualityService
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.partnerships import PartnershipService
from qa_engine.programme import ProgrammeService
from qa_engine.reviews import ReviewService
from qa_engine.store import ACCESS_STORE, store_env

__all__ = ["Services", "bootstrap"]


@dataclass
class Services:
    """Every application service a process needs, built once per process."""

    settings: Settings
    reviews: ReviewService
    quality: QualityService
    access: AccessLogService
    partnerships: PartnershipService
    programme: ProgrammeService

    def close(self) -> None:
        self.programme.close()
        self.quality.close()
        self.reviews.close()
        self.access.close()
        self.partnerships.close()


def bootstrap(settings: Settings) -> Services:
    env = store_env(settings)
    calendar = england_and_wales()
    access = AccessLogService(env=store_env(settings, ACCESS_STORE))
    partnerships = PartnershipService(env, defaults=settings.partnership_defaults)
    reviews = ReviewService(env, calendar=calendar, access=access, partnerships=partnerships)
    quality = QualityService(env, calendar=calendar, reviews=reviews)
    return Services(
        settings=settings,
        reviews=reviews,
        quality=quality,
        access=access,
        partnerships=partnerships,
        programme=ProgrammeService(env, calendar=calendar, quality=quality),
    )
