/**
 * Wiring: builds every layer from the validated Config and starts the node. Each part gets its
 * dependencies here and nowhere else (no global state), so tests can start several nodes in one
 * process.
 */
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { startControlServer } from './control/server.js';
import { FailureThrottle } from './auth/throttle.js';
import { createFederation } from './federation/federation.js';
import { loadOrCreateIdentity } from './federation/node-identity.js';
import { descriptorAddresses, OwnDescriptor } from './federation/own-descriptor.js';
import { createApiHandler } from './http/api/api-handler.js';
import { loadOrCreateCertificate, nodeAddresses } from './http/certificate.js';
import { SessionAuth } from './http/api/session-auth.js';
import { Sessions } from './http/api/sessions.js';
import { WebSessionStore } from './store/web-sessions.js';
import { createStaticFiles } from './http/static-files.js';
import { wwwDir } from './http/www-dir.js';
import { Location } from './location/location.js';
import { BindingPersistence, restore } from './location/persistence.js';
import type { Logger } from './log.js';
import { bindingsPath, controlSocketPath, databasePath } from './paths.js';
import { CallLog, outcomeOf } from './proxy/call-log.js';
import { Dispatcher } from './core/dispatcher.js';
import { NatKeepalive } from './proxy/nat-keepalive.js';
import { OfflineDelivery } from './proxy/offline-delivery.js';
import { FlowTokens } from './proxy/flow-token.js';
import type { FlowSource } from './proxy/next-hop.js';
import { OurHosts } from './core/our-host.js';
import { Proxy } from './proxy/proxy.js';
import { loadOrCreateRouteKey } from './proxy/route-key.js';
import { Registrar } from './registrar/registrar.js';
import type { ParseLimits } from './sip/limits.js';
import { ClientTransactionTable } from './sip/transactions/client-transaction-table.js';
import { ServerTransactionTable } from './sip/transactions/server-transaction-table.js';
import { DEFAULT_TIMERS } from './sip/transactions/timers.js';
import { createControlHandler } from './control/handler.js';
import { AccountCache } from './store/account-cache.js';
import { ContactStore } from './store/contacts.js';
import { meshPresence, seenBy } from './presence/seen.js';
import { meshDirectory } from './presence/mesh-directory.js';
import { peerSummaries } from './federation/peer-summary.js';
import { CallHistory } from './store/call-history.js';
import { startDailyPruning } from './store/daily-pruning.js';
import { StoredMessages } from './store/stored-messages.js';
import { AccountStore } from './store/accounts.js';
import { acquireDataDirLock } from './store/data-dir-lock.js';
import { openCheckedDatabase } from './store/checked-database.js';
import { realmFor } from './store/realm.js';
import { startMediaRelay } from './media/media-relay.js';
import { MediaAnchor } from './proxy/media-anchor.js';
import { startStunResponder } from './stun/responder.js';
import { bindAddresses } from './net/addresses.js';
import { LocalAddresses } from './net/local-address.js';
import { startTransports, type Transports } from './transport/transports.js';
import { ConnectionTotal } from './transport/connection-limits.js';
import { startHttpServers } from './http/server.js';
import { VERSION } from './version.js';

export interface RunningNode {
  /** `stun` is 0 when the responder is off. */
  readonly ports: { sip: number; http: number; https: number; stun: number };
  readonly location: Location;
  readonly accounts: AccountCache;
  /** Calls per user, for the page's history API: reads see every call that has ended. */
  readonly history: Pick<CallHistory, 'list' | 'delete'>;
  stop(): Promise<void>;
}

export async function startNode(config: Config, logger: Logger, clock: Clock = systemClock): Promise<RunningNode> {
  const startedAt = clock.now();
  mkdirSync(config.runDir, { recursive: true });
  const lock = acquireDataDirLock(config.dataDir, databasePath(config));
  const undo: Array<() => unknown> = [() => lock.release()];
  try {
    const db = openCheckedDatabase(databasePath(config), logger);
    undo.push(() => db.close());
    const store = new AccountStore(db, realmFor(db, config.domain));
    const accounts = new AccountCache(store);
    const contacts = new ContactStore(db);
    const tls = loadOrCreateCertificate({
      dataDir: config.dataDir,
      cert: config.cert,
      key: config.key,
      domain: config.domain,
      hostname: hostname(),
      addresses: nodeAddresses(),
    });
    if (tls.created) logger.info(`made a self-signed certificate for ${config.domain} in ${config.dataDir}`);
    const identity = loadOrCreateIdentity(config.dataDir, logger);
    const addresses = new LocalAddresses(() => clock.now());
    const location = new Location({ clock, logger });
    undo.push(() => location.close());
    /** Online: a live registration. */
    const online = (name: string) => location.lookup(name).length > 0;
    // Read through `transports` and `ports` once they exist: ports are chosen at listen time (0 in tests).
    let transports: Transports | undefined;
    let ports: Ports | undefined;
    const descriptor = new OwnDescriptor({
      identity,
      dataDir: config.dataDir,
      domain: config.domain,
      sip: () => {
        const port = ports?.sip ?? config.sipPort;
        return { udp: port, tcp: port };
      },
      addresses: () => descriptorAddresses(config.listen, addresses.all()),
      httpsPort: () => ports?.https ?? config.httpsPort,
      users: () => accounts.names(),
      presence: () => meshPresence(accounts, online),
      now: () => clock.now(),
      logger,
    });
    const federation = createFederation({
      config,
      identity,
      clock,
      logger,
      own: () => descriptor.beacon(),
      descriptor: () => descriptor.current(),
      sipPort: () => ports?.sip ?? config.sipPort,
    });
    undo.push(() => federation.stop());

    for (const binding of restore(bindingsPath(config), clock.now(), logger)) location.save(binding);
    const persistence = new BindingPersistence({ location, path: bindingsPath(config), clock, logger });
    undo.push(() => persistence.close());

    const timers = DEFAULT_TIMERS;
    // Both tables also keep answered transactions for their retransmissions: three times as many
    // as may be in progress (with the default 300, 64*T1 of 28 requests a second), the oldest
    // dropped first under a flood. Each kept one holds its flow, timers and, in the client table,
    // the proxy's fork; a flood of calls held 32 s of them, 500 MB, when nothing bounded them.
    const maxTransactions = 4 * config.maxRequestsInProgress;
    const transactions = new ServerTransactionTable({ clock, timers, maxInProgress: config.maxRequestsInProgress, maxTransactions });
    undo.push(() => transactions.close());
    const clientTransactions = new ClientTransactionTable({ clock, timers, maxTransactions });
    undo.push(() => clientTransactions.close());

    // The proxy sends through the transports, which deliver to the dispatcher that holds the
    // proxy: the flows are looked up through `transports` once it exists.
    const flows: FlowSource = {
      flowById: (id) => transports?.flowById(id),
      flowTo: (address) => transports?.flowTo(address),
    };
    const hosts = new OurHosts({
      domain: config.domain,
      addresses,
      ports: () => ports ?? { sip: config.sipPort, http: config.httpPort, https: config.httpsPort },
    });
    // One budget of password guesses per address and per user, whichever path checks the password.
    const authFailures = new FailureThrottle({ now: () => clock.now() });
    const registrar = new Registrar({ config, credentials: accounts, location, logger, now: () => clock.now(), hosts, authFailures });
    const tokens = new FlowTokens(loadOrCreateRouteKey(config.runDir, logger));
    const now = () => clock.now();
    const history = new CallHistory(db, { maxCalls: config.historyMaxCalls, maxAgeMs: config.historyMaxAge * 1000, now });
    const messages = new StoredMessages(db, {
      maxPerUser: config.messageMaxStored,
      maxAgeMs: config.messageMaxAge * 1000,
      maxBody: config.messageMaxBody,
      now,
    });
    const callLog = new CallLog({ history, clock, logger });
    undo.push(() => callLog.close());
    const offline = new OfflineDelivery({ messages, history, location, flows, clientTransactions, addresses, clock, logger, domain: config.domain, flushHistory: () => callLog.flush() });
    undo.push(() => offline.close());
    const pruning = startDailyPruning(clock, logger, () => history.prune() + messages.prune());
    undo.push(() => pruning.stop());
    const mediaRelay = config.rtpengine === undefined ? undefined : startMediaRelay(config.rtpengine, logger);
    if (mediaRelay) undo.push(() => mediaRelay.stop());
    const proxy = new Proxy({
      credentials: accounts,
      location,
      flows,
      hosts,
      route: { tokens, addresses, hosts },
      addresses,
      clientTransactions,
      serverTransactions: transactions,
      timers,
      clock,
      logger,
      ringTimeoutMs: config.ringTimeout * 1000,
      messageMaxBody: config.messageMaxBody,
      offline,
      authFailures,
      peers: federation.peers,
      onCall: (call) => {
        callLog.attempted(call);
        if (outcomeOf(call) === 'missed') offline.missedCall(call.callee);
      },
      onBye: (callId) => callLog.ended(callId),
      ...(mediaRelay ? { media: new MediaAnchor({ calls: mediaRelay.calls, mode: config.rtpengineRelay, logger }) } : {}),
    });
    const dispatcher = new Dispatcher({ registrar, location, transactions, clientTransactions, proxy, logger, now: () => clock.now(), maxRequestsInProgress: config.maxRequestsInProgress });
    const limits: ParseLimits = { maxMessageSize: config.maxMessageSize, maxHeaders: 100, maxLineLength: 8192 };
    // Reads see every call that has ended: the batch of ended calls is written first.
    const historyView: RunningNode['history'] = {
      list: (user, options) => (callLog.flush(), history.list(user, options)),
      delete: (user, id) => (callLog.flush(), history.delete(user, id)),
    };
    // What presence is made of, for the contacts and the mesh's directory (src/presence/).
    const presence = {
      setting: (name: string) => accounts.presence(name),
      online,
      remote: (address: string) => federation.peers.presenceOf(address),
    };
    const webAuth = new SessionAuth(new Sessions({ now, records: new WebSessionStore(db) }), (name) => accounts.ha1(name, 'MD5') !== undefined);
    const handler = createApiHandler({
      config,
      credentials: accounts,
      accounts: store,
      auth: webAuth,
      added: (name) => accounts.reload(name),
      isAdmin: (name) => accounts.isAdmin(name),
      directory: (watcher) =>
        meshDirectory(watcher, {
          ...presence,
          domain: config.domain,
          localNames: () => accounts.names(),
          meshNames: () => federation.peers.users(),
          ownersOf: (contact) => contacts.ownersOf(contact),
        }),
      passwordChanged: (name) => accounts.reload(name),
      leave: (name) => {
        callLog.flush();
        db.transaction(() => {
          store.remove(name);
          history.forget(name);
          messages.forget(name);
        });
        accounts.reload(name);
        for (const b of location.removeUser(name)) logger.info(`unregister ${b.aor} ${b.contact}: the account left`);
      },
      history: historyView,
      domain: config.domain,
      contacts,
      presenceOf: (name) => accounts.presence(name),
      setPresence: (name, presence) => {
        store.setPresence(name, presence);
        accounts.reload(name);
      },
      seen: (watcher, contact) => seenBy(watcher, contact, { ...presence, hasContact: (owner, c) => contacts.has(owner, c) }),
      failures: authFailures,
      logger,
      now,
      fallback: createStaticFiles({ dir: wwwDir(), port: config.httpsPort }),
      descriptor: () => descriptor.current(),
      peerExchange: federation.exchange,
    });
    // SIP over TCP and the web servers draw on one budget of accepted connections (max_connections).
    const connectionTotal = new ConnectionTotal(config.maxConnections);
    const sip = await startTransports({ config, sink: dispatcher, logger, limits, connectionTotal, webSession: (req) => webAuth.holder(req) });
    transports = sip;
    undo.push(() => sip.stop());
    // The HTTP port explains why calls need HTTPS; the HTTPS port serves the page, its API and wss://.
    const web = await startHttpServers({ config, tls, logger, onUpgrade: sip.upgrade, handler, connectionTotal });
    undo.push(() => web.stop());
    // Undone before the web servers stop, whose close waits for every socket they accepted.
    undo.push(() => sip.closeWebSockets());
    ports = { sip: sip.sipPort, http: listeningPort(web.http[0], config.httpPort), https: listeningPort(web.https[0], config.httpsPort) };
    // Announced only now that the descriptor is served and SIP is taken (and the ports are known).
    federation.start();
    const keepalive = new NatKeepalive({
      location,
      flows,
      clientTransactions,
      addresses,
      clock,
      logger,
      intervalMs: config.natPingInterval * 1000,
      domain: config.domain,
    });
    keepalive.start();
    undo.push(() => keepalive.stop());

    // RFC 8489 Binding responder; off with stun_port 0 (when a coturn on the router owns 3478).
    const stun =
      config.stunPort === 0
        ? undefined
        : await startStunResponder({ binds: bindAddresses(config.listen), port: config.stunPort, logger, software: `trucada ${VERSION}` });
    if (stun) undo.push(() => stun.stop());

    const control = await startControlServer(
      controlSocketPath(config),
      createControlHandler({
        config,
        accounts,
        location,
        ports,
        startedAt,
        clock,
        logger,
        node: { id: identity.id, fingerprint: identity.fingerprint },
        peers: () => peerSummaries(federation.peers, federation.directory, clock.now()),
        mediaRelay,
      }),
      logger,
    );
    undo.push(() => control.close());

    logger.info(`trucada serving ${config.domain}: sip ${ports.sip} udp/tcp, ws ${ports.http}, wss ${ports.https}; ${accounts.names().length} users (config: ${config.source})`);
    if (stun) logger.info(`STUN on UDP port ${config.stunPort}`);
    let stopped: Promise<void> | undefined;
    return {
      ports: { ...ports, stun: stun?.addresses[0]?.port ?? 0 },
      location,
      accounts,
      history: historyView,
      stop: () => (stopped ??= unwind(undo)),
    };
  } catch (err) {
    await unwind(undo);
    throw err;
  }
}

interface Ports {
  readonly sip: number;
  readonly http: number;
  readonly https: number;
}

/** The port a server listens on (the one asked for, or the one the system chose for 0). */
function listeningPort(server: { address(): AddressInfo | string | null } | undefined, asked: number): number {
  const a = server?.address();
  return a && typeof a === 'object' ? a.port : asked;
}

/** Undo the start in reverse order; every step runs even when an earlier one fails. */
async function unwind(undo: Array<() => unknown>): Promise<void> {
  for (const step of undo.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // Shutting down: nothing left to tell but the first error, which the caller already has.
    }
  }
}

