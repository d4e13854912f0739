"""The services the handlers call, built once per application in ``build_services``: the one
place where services are made, each given its dependencies in its constructor (no setters,
no service making another)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.deeplinks import DeepLinkRouter
from bot.i18n import Translator
from bot.pseudonyms import Pseudonyms, for_database
from bot.runtime.events import EventLog
from bot.runtime.flood import FloodGuard
from bot.runtime.leadership import Leadership
from bot.runtime.membership import TelegramMembers
from bot.runtime.menus import MenuPublisher
from bot.runtime.outbox import OutboxSender
from bot.runtime.outcomes import DeliveryListeners
from bot.runtime.pacing import Pacer, SharedPacer
from bot.runtime.polls import PollCloser
from bot.runtime.scheduler import ScheduleRunner
from bot.services.broadcasts import BroadcastDeliveries, BroadcastService
from bot.services.checkins import CheckInService
from bot.services.consent import PREFIX as CONSENT_PREFIX
from bot.services.consent import ConsentService
from bot.services.engagement import EngagementService
from bot.services.exports import ExportService
from bot.services.groups import GroupService
from bot.services.invitations import PREFIX as INVITATION_PREFIX
from bot.services.invitations import InvitationService
from bot.services.meetings import MeetingService
from bot.services.membership import MembershipService
from bot.services.menus import MenuService, dashboard_address
from bot.services.notices import StaffNotices
from bot.services.organisations import OrganisationService
from bot.services.people import PeopleService
from bot.services.polls import PollService
from bot.services.posts import PostService
from bot.services.privacy import PrivacyService
from bot.services.research import ResearchService
from bot.services.seasons import SeasonService
from bot.services.staff import StaffService
from bot.services.stats import StatsService
from bot.services.surveys import SurveyService
from bot.services.tips import TipService, tip_variants
from bot.settings import Settings
from content import Library
from content.surveys import Surveys, load_surveys
from storage import Database
from storage.meetings import ScheduleItem
from storage.pacing import SlotBook

if TYPE_CHECKING:  # (web/server.py imports this module)
    from web.server import WebServer


@dataclass
class Services:
    settings: Settings
    clock: Clock
    database: Database
    translator: Translator
    library: Library
    people: PeopleService
    engagement: EngagementService
    organisations: OrganisationService
    invitations: InvitationService
    groups: GroupService
    consent: ConsentService
    membership: MembershipService
    members: TelegramMembers  # Telegram, for the membership rules (attached at start)
    broadcasts: BroadcastService
    pacer: Pacer
    outbox: OutboxSender
    deep_links: DeepLinkRouter
    pseudonyms: Pseudonyms
    tips: TipService
    posts: PostService
    polls: PollService
    poll_closer: PollCloser  # stops polls in Telegram (started with the bot)
    notices: StaffNotices
    meetings: MeetingService
    seasons: SeasonService
    scheduler: ScheduleRunner
    events: EventLog
    checkins: CheckInService
    surveys: SurveyService
    stats: StatsService
    exports: ExportService
    research: ResearchService
    privacy: PrivacyService
    staff: StaffService
    flood: FloodGuard
    menus: MenuService
    menu_publisher: MenuPublisher  # sends the menus (started with the bot)
    # set when the bot starts (it needs the running application): see bot/runtime/app.py
    leadership: Leadership | None = None
    web: WebServer | None = None  # the Mini App's server, while it runs (web/server.py)


def build_services(
    settings: Settings,
    *,
    clock: Clock,
    database: Database,
    translator: Translator,
    library: Library,
    survey_files: Surveys | None = None,
) -> Services:
    """Every service, each given what it needs in its constructor, in an order where each
    comes after what it needs."""
    admins = settings.admins
    key = settings.pseudonym_key
    pseudonyms = for_database(
        database.path, key.get_secret_value() if key else None, settings.pseudonym_key_file
    )
    events = EventLog(database, clock, pseudonyms, limit=settings.event_limit)
    menus = MenuService(
        database,
        clock,
        admins,
        default_language=settings.language,
        dashboard=dashboard_address(settings.web_url),
    )
    menu_publisher = MenuPublisher(menus, translator)
    people = PeopleService(
        database,
        clock,
        default_language=settings.language,
        admins=admins,
        menu_may_change=menu_publisher.refresh,
    )
    # rows written by the services wake the sender, which is built last: it reports to them
    rows_written = asyncio.Event()
    notices = StaffNotices(
        database, clock, translator, timezone=settings.timezone, notify=rows_written.set
    )
    groups = GroupService(
        database,
        clock,
        admins,
        default_timezone=settings.timezone,
        default_language=settings.language,
        notices=notices,
    )
    invitations = InvitationService(
        database,
        clock,
        admins,
        default_timezone=settings.timezone,
        notices=notices,
        roles_changed=menu_publisher.refresh,
    )
    members = TelegramMembers()
    membership = MembershipService(
        database, clock, members, fresh=dt.timedelta(minutes=settings.membership_fresh)
    )
    consent = ConsentService(database, clock, membership)
    deep_links = DeepLinkRouter()
    deep_links.register(INVITATION_PREFIX, invitations.accept)
    deep_links.register(CONSENT_PREFIX, consent.open_link)
    # one instance paces itself; several (PostgreSQL) book their slots together
    pacer = SharedPacer(SlotBook(database)) if database.is_postgres else Pacer()
    broadcasts = BroadcastService(
        database,
        clock,
        admins,
        default_timezone=settings.timezone,
        notify=rows_written.set,
        tip_variants=tip_variants(library),
        small_numbers=settings.small_numbers,
    )
    tips = TipService(
        database,
        clock,
        admins,
        library,
        pseudonyms=pseudonyms,
        broadcasts=broadcasts,
        translator=translator,
        events=events,
        notices=notices,
        notify=rows_written.set,
    )
    posts = PostService(
        database, clock, admins, translator, notices=notices, notify=rows_written.set
    )
    polls = PollService(
        database,
        clock,
        admins,
        notices=notices,
        translator=translator,
        default_timezone=settings.timezone,
        small_numbers=settings.small_numbers,
        notify=rows_written.set,
    )
    poll_closer = PollCloser(polls)
    stats = StatsService(
        database,
        clock,
        admins,
        pseudonyms,
        translator,
        small_numbers=settings.small_numbers,
        dashboard=dashboard_address(settings.web_url),
    )
    checkins = CheckInService(
        database,
        clock,
        admins,
        translator,
        pseudonyms=pseudonyms,
        events=events,
        stats=stats,
        recheck=membership.recheck,
        web_url=None if settings.web_url is None else str(settings.web_url),
    )
    surveys = SurveyService(
        database,
        clock,
        translator,
        load_surveys() if survey_files is None else survey_files,
        survey_id=settings.survey,
        pseudonyms=pseudonyms,
        events=events,
        notify=rows_written.set,
        recheck=membership.recheck,
    )

    def plan_jobs(items: Sequence[ScheduleItem]) -> None:
        # the scheduler is built below (it fires the meeting service's items), before
        # anything can be planned
        scheduler.add_all(items)

    meetings = MeetingService(
        database,
        clock,
        admins,
        translator,
        tips,
        checkins=checkins,
        surveys=surveys,
        broadcasts=broadcasts,
        notify=rows_written.set,
        planned=plan_jobs,
        recheck=membership.recheck,
    )
    seasons = SeasonService(
        database,
        clock,
        admins,
        translator,
        meetings=meetings,
        tips=tips,
        notices=notices,
        archive_after=dt.timedelta(days=settings.archive_after_days),
        notify=rows_written.set,
    )
    privacy = PrivacyService(
        database,
        clock,
        pseudonyms,
        events,
        translator=translator,
        notices=notices,
        admins=admins,
        menu_taken_back=menu_publisher.take_back,
    )
    scheduler = ScheduleRunner(
        meetings,
        clock,
        chores=[
            seasons.sweep,
            surveys.remind,
            privacy.sweep,
            notices.remind_reviewers,
            tips.close_old_questions,
            menu_publisher.refresh_all,
            poll_closer.close_due,
            posts.expire_waiting,
        ],
    )
    deliveries = BroadcastDeliveries(database, translator, events)
    # who reacts to what the sender reports (bot/runtime/outcomes.py says when each runs)
    outbox = OutboxSender(
        database,
        clock,
        pacer,
        DeliveryListeners(
            due=(deliveries.due,),
            delivered=(tips.delivered, polls.delivered, deliveries.delivered),
            failed=(polls.failed,),
            chat_gone=(groups.chat_gone, people.chat_gone),
            migrated=(groups.chat_migrated,),
            settled=(deliveries.settled,),
        ),
        wake=rows_written,
    )
    return Services(
        settings=settings,
        clock=clock,
        database=database,
        translator=translator,
        library=library,
        people=people,
        engagement=EngagementService(people, groups, events),
        organisations=OrganisationService(database, clock, admins, invitations),
        invitations=invitations,
        groups=groups,
        consent=consent,
        membership=membership,
        members=members,
        broadcasts=broadcasts,
        pacer=pacer,
        outbox=outbox,
        deep_links=deep_links,
        pseudonyms=pseudonyms,
        tips=tips,
        posts=posts,
        polls=polls,
        poll_closer=poll_closer,
        notices=notices,
        meetings=meetings,
        seasons=seasons,
        scheduler=scheduler,
        events=events,
        checkins=checkins,
        surveys=surveys,
        stats=stats,
        exports=ExportService(
            database,
            admins,
            stats,
            surveys.survey,
            pseudonyms=pseudonyms,
            translator=translator,
            clock=clock,
        ),
        research=ResearchService(
            database,
            clock,
            admins,
            pseudonyms,
            surveys.survey,
            small_numbers=settings.small_numbers,
        ),
        privacy=privacy,
        staff=StaffService(database, clock, admins, notices, roles_changed=menu_publisher.refresh),
        flood=FloodGuard(
            settings.flood_limit, settings.stranger_limit, now=lambda: clock.now().timestamp()
        ),
        menus=menus,
        menu_publisher=menu_publisher,
    )
