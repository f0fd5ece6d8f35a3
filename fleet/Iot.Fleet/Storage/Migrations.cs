namespace Iot.Fleet.Storage;

/// <summary>The fleet database's schema, one step per version. Steps are only ever appended:
/// a deployed database runs the ones it has not seen, in order, each in its own transaction.</summary>
public static class Migrations
{
    public static readonly IReadOnlyList<string> Steps =
    [
        // 1: registry, record journal, raw messages, leads and alerts, rejections, cursors.
        """
        CREATE TABLE sites (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            timezone TEXT NOT NULL,
            grid TEXT,
            profile TEXT NOT NULL,
            business_hours TEXT NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            site TEXT REFERENCES sites (id),
            created_at INTEGER NOT NULL);
        CREATE TABLE permits (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites (id),
            from_time INTEGER NOT NULL,
            to_time INTEGER NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE device_state (
            dev TEXT PRIMARY KEY,
            last_seen INTEGER,
            firmware TEXT,
            boot INTEGER,
            online INTEGER,
            status TEXT,
            buffered INTEGER,
            rejected INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            payload BLOB NOT NULL,
            received_at INTEGER NOT NULL);
        CREATE TABLE records (
            row_id INTEGER PRIMARY KEY,
            dev TEXT NOT NULL,
            seq INTEGER NOT NULL,
            t INTEGER NOT NULL,
            dur INTEGER NOT NULL,
            q INTEGER NOT NULL,
            m TEXT NOT NULL,
            fw TEXT,
            site TEXT,
            message_id INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            UNIQUE (dev, seq));
        CREATE INDEX records_dev_t ON records (dev, t);
        CREATE TABLE leads (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            rule TEXT NOT NULL,
            site TEXT NOT NULL,
            devices TEXT NOT NULL,
            start_minute INTEGER NOT NULL,
            end_minute INTEGER NOT NULL,
            window_minutes INTEGER NOT NULL,
            value REAL NOT NULL,
            lim REAL NOT NULL,
            unit TEXT NOT NULL,
            late INTEGER NOT NULL,
            status TEXT NOT NULL,
            raised_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            profile TEXT NOT NULL,
            detail TEXT);
        CREATE INDEX leads_site_rule ON leads (site, rule, end_minute);
        CREATE INDEX leads_queue_start ON leads (queue, start_minute);
        CREATE TABLE rejections (
            id INTEGER PRIMARY KEY,
            dev TEXT,
            topic TEXT NOT NULL,
            reason TEXT NOT NULL,
            payload TEXT NOT NULL,
            received_at INTEGER NOT NULL);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            dev TEXT NOT NULL,
            t INTEGER NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            received_at INTEGER NOT NULL);
        CREATE INDEX events_dev_t ON events (dev, t);
        CREATE TABLE cursors (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL);
        """,
        // 2: broker accounts (Security/BrokerAccounts): who may connect to Mosquitto. Password hashes only
        // (Mosquitto's $7$ format); NULL for a client-certificate device and for a revoked account.
        """
        CREATE TABLE broker_accounts (
            username TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            device TEXT,
            password_hash TEXT,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER);
        """,
        // 3: provisioning and commissioning: gateways from the factory (claim code hash only), where sites
        // are, and the commissioning records a site needs before its breaches become enforcement leads.
        """
        ALTER TABLE sites ADD COLUMN lat REAL;
        ALTER TABLE sites ADD COLUMN lon REAL;
        CREATE TABLE factory_devices (
            id TEXT PRIMARY KEY,
            claim_code_hash TEXT NOT NULL UNIQUE,
            uploaded_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            announced_at INTEGER,
            claimed_at INTEGER,
            claimed_by TEXT,
            site TEXT,
            switched_at INTEGER);
        CREATE TABLE commissioning (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites (id),
            device TEXT,
            passed INTEGER NOT NULL,
            method TEXT NOT NULL,
            results TEXT NOT NULL,
            signed_by TEXT NOT NULL,
            signed_at INTEGER NOT NULL,
            valid_from INTEGER NOT NULL,
            note TEXT,
            photo BLOB,
            photo_type TEXT);
        CREATE INDEX commissioning_site ON commissioning (site, signed_at);
        """,
    ];
}
