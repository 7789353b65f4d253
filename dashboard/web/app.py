"""The application factory: ``create_app(settings)`` builds the whole server.

One lifespan starts the scheduler (and with it the first render of every room) and stops it;
nothing happens at import.  Routes are declared in one list, grouped by audience.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route, WebSocketRoute

from ..assets import Assets
from ..clock import Clock, ShiftedClock, SystemClock
from ..domain.programme import local_instant
from ..i18n import page_languages
from ..live.board import Board
from ..live.desk import OverrideDesk
from ..live.follow import Follower
from ..live.hub import Hub
from ..live.reload import WATCH_SECONDS, Reloader
from ..live.render import Renderer, build_id
from ..live.revisions import MAX_PROGRAMME_BYTES, RevisionDesk
from ..live.scheduler import RoomScheduler
from ..live.screen_sync import SYNC_SECONDS, ScreenSync
from ..live.screens import ScreenRegistry
from ..live.service import LiveService
from ..live.startup import read_startup, run_apart
from ..metrics import Metrics
from ..resources import STATIC_DIR, TEMPLATES_DIR
from ..settings import Settings, parse_networks
from ..site import Site, load_site
from ..store import Store
from . import (
    api,
    board,
    chair,
    console_screens,
    display,
    errors,
    feeds,
    openapi,
    overrides_api,
    phone,
    revisions,
    static,
    ws,
)
from . import metrics as metrics_view
from .auth import LoginGate
from .metrics import LiveCollector
from .proxies import ForwardedMiddleware
from .request_id import RequestIdMiddleware
from .security import BodySizeLimitMiddleware, SecurityHeadersMiddleware


def make_clock(settings: Settings, site: Site) -> Clock:
    """Real time, or the demo clock of ``--at``/``--speed``.  A start without an offset is a
    wall-clock time at the venue of the first room."""
    if settings.start_at is None and settings.speed == 1.0:
        return SystemClock()
    start = settings.start_at or datetime.now(UTC)
    if start.tzinfo is None:
        tz = site.programmes[site.rooms[0].id].tz
        start = local_instant(start.date(), start.time(), tz)
    return ShiftedClock(start, settings.speed, origin=settings.clock_origin)


def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    site = load_site(settings)  # a bad programme stops the start here, with its line named
    clock = clock or make_clock(settings, site)
    assets = Assets.load(STATIC_DIR)  # read and compressed once; served from memory
    # One build over every language, so the one heartbeat serves pages in any of them; the
    # default language first: displays without ?lang= reload into a new default.
    build = build_id(assets, TEMPLATES_DIR, settings.language, *page_languages())

    def make_renderer(language: str) -> Renderer:
        """A language's renderer (the default one now, others when first asked for: the
        rooms then are those of the programmes running)."""
        rooms = live.site.rooms if language != settings.language else site.rooms
        return Renderer(
            language,
            room_names={r.id: r.name for r in rooms},
            assets=assets,
            timings=settings.live,
            build=build,
            default_language=settings.language,
        )

    renderer = make_renderer(settings.language)
    hub = Hub()
    # What the database holds, read before serving (AuditError if the log does not verify).
    start = run_apart(read_startup(settings, site, clock.now()))
    site = start.site
    # The server's own store: bound to the server's event loop, opened by the lifespan.
    store = Store(settings.store_database, key_path=settings.audit_key)
    overrides = start.overrides
    live = LiveService(site, clock, renderer, hub, overrides, make_renderer)
    hall_board = Board(live, hub)  # published after every room's change
    metrics = Metrics()  # this app's own registry (several apps may share a process)
    scheduler = RoomScheduler(live, metrics)
    metrics.add_collector(LiveCollector(hub, scheduler))
    metrics.add_rooms([r.id for r in site.rooms])
    for state in start.storage_errors:
        metrics.database_errors.labels(state).inc()
    desk = OverrideDesk(live, scheduler, store, metrics)
    reloader = Reloader(settings, live, scheduler, store)
    # On PostgreSQL, other processes append and publish too: follow them (live/follow.py).
    # A display is known once heard from half a heartbeat period after connecting, at least.
    screens = ScreenRegistry(timedelta(seconds=settings.live.heartbeat / 2))
    screens.labels = start.labels  # given by staff, kept across restarts
    follower = screen_sync = None
    if start.published is not None:
        reloader.published = start.published
        # Shared with other processes: so is the screens list.
        screen_sync = ScreenSync(screens, store, clock, start.last_dismissal)
        follower = Follower(
            store,
            desk.apply_stored,
            start.last_seq,
            reload=reloader.follow,
            screens=screen_sync.catch_up,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        scheduler.start()
        scheduler.scheduler.add_job(
            reloader.watch, "interval", seconds=WATCH_SECONDS, id="watch-config"
        )
        scheduler.scheduler.add_job(
            live.heartbeat, "interval", seconds=settings.live.heartbeat, id="heartbeat"
        )
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            # `dashboard reload` without the API: kill -HUP <pid> (main thread only).
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reloader.reload_soon)
        if screen_sync is not None:
            scheduler.scheduler.add_job(
                screen_sync.sync, "interval", seconds=SYNC_SECONDS, id="screens-sync"
            )
        following = asyncio.create_task(follower.run()) if follower is not None else None
        try:
            yield
        finally:
            if following is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
            scheduler.shutdown()
            hub.close()
            await store.close()

    routes = [
        # Public screens: delegates' phones and the room displays.
        Route("/", phone.overview, name="overview"),
        # Before /rooms/{room}, which would take "cr4.ics" for a room id.
        Route("/rooms/{room}.ics", feeds.room_ics, name="room_ics"),
        Route("/rooms/{room}", phone.room_page, name="room"),
        Route("/display/", display.display_list, name="displays"),
        Route("/display/{room}", display.display_page, name="display"),
        WebSocketRoute("/ws/overview", ws.overview_socket),
        WebSocketRoute("/ws/rooms/{room}", ws.room_socket),
        WebSocketRoute("/ws/display/{room}", ws.display_socket),
        Route("/board", board.board_page, name="board"),
        WebSocketRoute("/ws/board", ws.board_socket),
        # The chair's office and the secretariat.
        Route("/chair", chair.console, name="chair"),
        Route("/chair/login", chair.login_submit, methods=["POST"]),
        Route("/chair/logout", chair.logout, methods=["POST"]),
        Route("/chair/preview", chair.preview, methods=["POST"]),
        Route("/chair/overrides", chair.send, methods=["POST"]),
        Route("/chair/overrides/{override}/undo", chair.undo, methods=["POST"]),
        Route("/chair/history", chair.history),
        Route("/chair/screens", console_screens.screens),
        Route("/chair/screens/{room}", console_screens.room_screens),
        Route("/chair/screens/{room}/dismiss", console_screens.dismiss_screen, methods=["POST"]),
        Route("/chair/screens/{room}/label", console_screens.label_screen, methods=["POST"]),
        Route("/chair/expiry", chair.expiry_hint),
        Route("/chair/actions", chair.actions),
        Route("/chair/programme/compare", revisions.compare, methods=["POST"]),
        Route("/chair/programme/publish", revisions.publish, methods=["POST"]),
        WebSocketRoute("/ws/chair", ws.chair_socket),
        Route("/api/overrides", overrides_api.post_override, methods=["POST"]),
        Route("/api/overrides", overrides_api.list_overrides, methods=["GET"]),
        # JSON for other tools.
        Route("/api/rooms", api.rooms),
        Route("/api/rooms/{room}/now", api.room_now),
        Route("/api/rooms/{room}/slots", api.room_slots),
        Route("/api/programme", api.programme),
        Route("/api/programme/reload", overrides_api.reload_programme, methods=["POST"]),
        Route("/api/time", api.server_time),
        Route("/api/openapi.json", openapi.openapi),
        # Feeds for calendars and schedule apps (the overrides in force applied).
        Route("/programme.ics", feeds.programme_ics),
        Route("/schedule.xml", feeds.schedule_xml),
        Route("/schedule.json", feeds.schedule_json),
        Route("/healthz", api.healthz),
        Route("/metrics", metrics_view.metrics),
        Route("/static/{name:path}", static.asset_file, name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),  # first: every line logged after has the id
            Middleware(SecurityHeadersMiddleware),
            # The peer's real address and scheme, from the configured proxies only.
            Middleware(ForwardedMiddleware, trusted=parse_networks(settings.trusted_proxies)),
            Middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts, www_redirect=False),
            # Programmes sent from the console may be larger than an override.
            Middleware(
                BodySizeLimitMiddleware,
                larger={"/chair/programme/compare": MAX_PROGRAMME_BYTES + 64 * 1024},
            ),
            Middleware(static.GZipExceptAssets, minimum_size=800),
        ],
        exception_handlers=errors.HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    # The feeds' stamp of a meeting never changed: when this programme was loaded.
    app.state.published = clock.now()
    app.state.renderer = renderer
    app.state.assets = assets
    app.state.hub = hub
    app.state.live = live
    app.state.board = hall_board
    app.state.scheduler = scheduler
    app.state.store = store
    app.state.desk = desk
    app.state.reloader = reloader
    app.state.follower = follower
    app.state.metrics = metrics
    app.state.metrics_allow = parse_networks(settings.metrics_allow)
    app.state.screens = screens
    app.state.screen_sync = screen_sync  # None: one process (SQLite)
    app.state.revisions = RevisionDesk(reloader)
    app.state.login_gate = LoginGate()  # login attempts under way, for throttling
    app.state.staff_sockets = ws.StaffSockets()  # open console sockets, closed at logout
    return app
