using Iot.Fleet.Operations;
using Iot.Fleet.People;

namespace Iot.Fleet.Storage;

/// <summary>The fleet database's schema, one step per version. Steps are only ever appended:
/// a deployed database runs the ones it has not seen, in order, each in its own transaction.
/// Every step has a PostgreSQL twin at the same index in <see cref="PostgresMigrations"/> (BIGINT, identity ids, bytea,
/// double precision): append both together. Storage/MigrationsTests fails while the two lists differ in length.</summary>
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
        // 2: broker accounts (Broker/BrokerAccounts): who may connect to Mosquitto. Password hashes only
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
        // 4: people, API tokens, audit log (People/, Audit/). Password and token hashes only; the audit log
        // is append-only in the database itself: triggers refuse UPDATE and DELETE.
        """
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            squad TEXT,
            password_hash TEXT NOT NULL,
            password_salt TEXT NOT NULL,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            disabled_at INTEGER);
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            person INTEGER NOT NULL REFERENCES people (id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER);
        CREATE INDEX api_tokens_person ON api_tokens (person);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            actor_kind TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            before TEXT,
            after TEXT,
            note TEXT);
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE INDEX audit_log_subject ON audit_log (subject, id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TABLE session_keys (
            name TEXT PRIMARY KEY,
            xml TEXT NOT NULL);
        """,
        // 5: OTA releases and campaigns (Updates/): signed releases the fleet offers (bundles are files in
        // Updates:Directory), campaigns with their spec, and each device's state in a campaign as it reported it.
        """
        CREATE TABLE releases (
            version TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            allow_downgrade INTEGER NOT NULL,
            sig TEXT NOT NULL,
            key TEXT NOT NULL,
            notes TEXT NOT NULL,
            uploaded_at INTEGER NOT NULL);
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            version TEXT NOT NULL REFERENCES releases (version),
            spec TEXT NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT,
            stage INTEGER NOT NULL,
            rollback_of INTEGER,
            send_credit REAL NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL);
        CREATE TABLE campaign_devices (
            campaign INTEGER NOT NULL REFERENCES campaigns (id),
            dev TEXT NOT NULL,
            ord INTEGER NOT NULL,
            stage INTEGER NOT NULL,
            from_version TEXT,
            state TEXT NOT NULL,
            reason TEXT,
            percent INTEGER,
            running TEXT,
            health TEXT NOT NULL,
            sent_at INTEGER,
            last_sent_at INTEGER,
            heard_at INTEGER,
            switched_at INTEGER,
            sends INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (campaign, dev));
        CREATE INDEX campaign_devices_dev ON campaign_devices (dev);
        """,
        // 6: squads, cases, notifications outbox (Cases/, Notifications/). A case is keyed by its lead and kept apart
        // from leads.status, which belongs to the rules engine; case_steps is the loop's history. An event and its
        // notification rows are written in the transaction of the change that caused them; UNIQUE (event, target)
        // means one delivery row per target, whatever crashes and replays happen.
        """
        CREATE TABLE squads (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            members TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL);
        CREATE TABLE squad_grids (
            grid TEXT PRIMARY KEY,
            squad TEXT NOT NULL REFERENCES squads (id));
        CREATE TABLE cases (
            lead INTEGER PRIMARY KEY REFERENCES leads (id),
            status TEXT NOT NULL,
            squad TEXT REFERENCES squads (id),
            responded_at INTEGER,
            result TEXT,
            result_note TEXT,
            notice INTEGER NOT NULL DEFAULT 0,
            rectify_by INTEGER,
            recheck TEXT,
            outcome TEXT,
            close_reason TEXT,
            close_note TEXT,
            overdue_notified_at INTEGER,
            opened_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            closed_at INTEGER);
        CREATE INDEX cases_status ON cases (status);
        CREATE TABLE case_steps (
            id INTEGER PRIMARY KEY,
            lead INTEGER NOT NULL REFERENCES cases (lead),
            step TEXT NOT NULL,
            from_status TEXT NOT NULL,
            to_status TEXT NOT NULL,
            actor TEXT NOT NULL,
            at INTEGER NOT NULL,
            data TEXT);
        CREATE INDEX case_steps_lead ON case_steps (lead, id);
        CREATE TABLE notification_events (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            event TEXT NOT NULL,
            subject TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES notification_events (id),
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_attempt_at INTEGER,
            last_error TEXT,
            delivered_at INTEGER,
            created_at INTEGER NOT NULL,
            UNIQUE (event_id, target));
        CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
        """,
        // Robust ingest (issue 11): events stored once however often they are re-sent (a conflict of (dev, seq)
        // is a fleet entry there too), rejections kept per device, InfluxDB lines it refused kept with the reason.
        """
        DELETE FROM events WHERE id NOT IN (SELECT MIN(id) FROM events GROUP BY dev, t, type, data);
        CREATE UNIQUE INDEX events_identity ON events (dev, t, type, data);
        CREATE INDEX rejections_dev ON rejections (dev, id);
        CREATE TABLE influx_quarantine (
            row_id INTEGER PRIMARY KEY,
            dev TEXT NOT NULL,
            line TEXT NOT NULL,
            reason TEXT NOT NULL,
            at INTEGER NOT NULL);
        """,
        // The admin token (People/AdminToken): its SHA-256 only, and the configured one's, so a rotation through the API
        // holds until the configuration changes.
        """
        CREATE TABLE admin_token (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sha256 TEXT NOT NULL,
            configured_sha256 TEXT,
            changed_at INTEGER NOT NULL);
        """,
        // Notice first by the right measure and the review clock of backfilled leads (issue 12): the minor-offence
        // judgement of a case (the fleet's or an inspector's), when a case was first reviewed (acknowledged), and the
        // operator's commitment letter (承诺书) of a noticed case.
        """
        ALTER TABLE cases ADD COLUMN minor TEXT;
        ALTER TABLE cases ADD COLUMN reviewed_at INTEGER;
        UPDATE cases SET reviewed_at = (SELECT MIN(s.at) FROM case_steps s WHERE s.lead = cases.lead AND s.step IN ('acknowledge', 'close'));
        CREATE TABLE case_commitments (
            lead INTEGER PRIMARY KEY REFERENCES cases (lead),
            signed_by TEXT NOT NULL,
            signed_at INTEGER NOT NULL,
            text TEXT,
            reference TEXT,
            scan BLOB,
            scan_type TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at INTEGER NOT NULL);
        """,
        // Profiles as data (issue 12): named, versioned limits and hours (version 1 holds from the start, each later one
        // from its valid_from); quiet periods in which a site is judged by another profile; a lead names the version.
        // Leads stored before were judged by version 1 of their profile.
        """
        CREATE TABLE rule_profiles (
            id TEXT NOT NULL COLLATE NOCASE,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            source TEXT NOT NULL,
            origin TEXT NOT NULL,
            valid_from INTEGER NOT NULL,
            night_starts TEXT NOT NULL,
            night_ends TEXT NOT NULL,
            fog_humidity REAL NOT NULL,
            rules TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (id, version));
        CREATE TABLE quiet_periods (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites (id),
            from_time INTEGER NOT NULL,
            to_time INTEGER NOT NULL,
            profile TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL);
        CREATE INDEX quiet_periods_site ON quiet_periods (site, from_time);
        ALTER TABLE leads ADD COLUMN profile_version INTEGER NOT NULL DEFAULT 1;
        """,
        // Permits decided (issue 12): filed → approved | refused, approved → revoked, each step with who, when and why.
        // Permits stored before count as approved, as they did. A night lead names the permit that covered it.
        """
        ALTER TABLE permits ADD COLUMN status TEXT NOT NULL DEFAULT 'approved';
        ALTER TABLE permits ADD COLUMN reference TEXT;
        ALTER TABLE permits ADD COLUMN note TEXT;
        CREATE INDEX permits_site ON permits (site, from_time, id);
        CREATE TABLE permit_history (
            id INTEGER PRIMARY KEY,
            permit INTEGER NOT NULL REFERENCES permits (id),
            status TEXT NOT NULL,
            by TEXT NOT NULL,
            by_kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            reason TEXT);
        CREATE INDEX permit_history_permit ON permit_history (permit, id);
        INSERT INTO permit_history (permit, status, by, by_kind, at, reason)
            SELECT id, 'approved', 'fleet', 'system', created_at, 'recorded before permits were decided' FROM permits;
        ALTER TABLE leads ADD COLUMN permit INTEGER;
        """,
        // Event time decides (rules v2, issue 12): a lead that late records joined to an earlier one is `merged` and names
        // it; every merge, cut and withdrawal is kept in the lead's history with the record that caused it.
        """
        ALTER TABLE leads ADD COLUMN merged_into INTEGER REFERENCES leads (id);
        CREATE TABLE lead_history (
            id INTEGER PRIMARY KEY,
            lead INTEGER NOT NULL REFERENCES leads (id),
            at INTEGER NOT NULL,
            change TEXT NOT NULL,
            detail TEXT NOT NULL);
        CREATE INDEX lead_history_lead ON lead_history (lead, id);
        """,
        // Signed evidence and retention (issue 14): the audit log becomes a hash chain. `audit_chain` holds each entry's
        // hash = SHA-256(previous hash || canonical entry), append-only like the log; SQL cannot hash, so the entries
        // already in the log are linked in id order by the fleet (Audit/AuditChain.LinkPending) at its first start after
        // this step. The retention trim (Operations/RetentionTrim) finds the raw messages still used by a record.
        """
        CREATE TABLE audit_chain (
            entry INTEGER PRIMARY KEY,
            hash TEXT NOT NULL);
        CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
            BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
        CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
            BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
        CREATE INDEX records_message ON records (message_id);
        """,
        // Readings the device vouches for (issue 14): each device's evidence key (made by the fleet, given to the device at
        // claim or registration; retired when a new one is issued), and the proof kept with each raw message: `proof` is
        // 'hmac-sha256' (the MAC `mac` verified under evidence key `key_id` over the payload's first `signed_length` bytes)
        // or 'unproven' (no MAC: a device without a key); NULL for messages stored before proofs existed.
        """
        CREATE TABLE evidence_keys (
            id INTEGER PRIMARY KEY,
            dev TEXT NOT NULL,
            key BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            source TEXT NOT NULL,
            retired_at INTEGER);
        CREATE INDEX evidence_keys_dev ON evidence_keys (dev, id);
        ALTER TABLE messages ADD COLUMN proof TEXT;
        ALTER TABLE messages ADD COLUMN mac TEXT;
        ALTER TABLE messages ADD COLUMN key_id INTEGER REFERENCES evidence_keys (id);
        ALTER TABLE messages ADD COLUMN signed_length INTEGER;
        """,
        // Evidence that holds up (issue 14, items 1, 5, 6): the meters a gateway reads with their type approval and calibration
        // certificates (scans kept for the evidence bundle), a site's measured background noise (GB 12523-2011 correction),
        // the monitoring points the bureau publishes, the service of a lead's notice to the party, and each lead's evidence grade.
        """
        CREATE TABLE meters (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL REFERENCES devices (id),
            kind TEXT NOT NULL,
            make TEXT NOT NULL,
            model TEXT NOT NULL,
            serial TEXT NOT NULL,
            type_approval TEXT,
            installed_from INTEGER NOT NULL,
            removed_at INTEGER,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL);
        CREATE INDEX meters_device ON meters (device, kind);
        CREATE TABLE calibrations (
            id INTEGER PRIMARY KEY,
            meter INTEGER NOT NULL REFERENCES meters (id),
            certificate TEXT NOT NULL,
            institution TEXT NOT NULL,
            method TEXT NOT NULL,
            calibrated_on TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            scan_type TEXT,
            scan BLOB,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            expiry_warned_at INTEGER);
        CREATE INDEX calibrations_meter ON calibrations (meter, valid_until);
        CREATE TABLE site_background (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites (id),
            level REAL NOT NULL,
            measured_at INTEGER NOT NULL,
            measured_by TEXT NOT NULL,
            note TEXT,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL);
        CREATE INDEX site_background_site ON site_background (site, measured_at);
        CREATE TABLE monitoring_points (
            site TEXT PRIMARY KEY REFERENCES sites (id),
            district TEXT NOT NULL,
            address TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            published_by TEXT NOT NULL);
        CREATE TABLE notice_services (
            id INTEGER PRIMARY KEY,
            lead INTEGER NOT NULL REFERENCES leads (id),
            method TEXT NOT NULL,
            served_at INTEGER NOT NULL,
            served_by TEXT NOT NULL,
            recipient TEXT,
            note TEXT,
            recorded_at INTEGER NOT NULL,
            recorded_by TEXT NOT NULL);
        CREATE INDEX notice_services_lead ON notice_services (lead, id);
        ALTER TABLE leads ADD COLUMN evidence TEXT;
        """,
        // 16: HJ 212 monitors (issue 15): a device that speaks HJ 212 over TCP instead of MQTT, known by its MN; the
        // password is kept as its SHA-256 (it travels in clear in every frame, but the database need not hold it).
        """
        CREATE TABLE hj212_monitors (
            dev TEXT PRIMARY KEY REFERENCES devices (id),
            mn TEXT NOT NULL UNIQUE,
            password_sha256 TEXT NOT NULL,
            profile TEXT NOT NULL,
            created_at INTEGER NOT NULL);
        """,
        // 17: HJ 212 forwarding (issue 15, item 4): minutes of reporting sites waiting for their frame (one row per device record,
        // so a frame is made once every device of the site has the minute, or after Hj212:SettleSeconds), and the frames
        // themselves, one per (site, CN, DataTime), made once and kept: sent until a 9014 acknowledges them, re-sent on the
        // platform's history request. The forwarder follows the journal with the cursor `hj212`.
        """
        CREATE TABLE hj212_open (
            site TEXT NOT NULL,
            minute INTEGER NOT NULL,
            dev TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            PRIMARY KEY (site, minute, dev));
        CREATE TABLE hj212_frames (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            platform TEXT NOT NULL,
            mn TEXT NOT NULL,
            cn TEXT NOT NULL,
            data_time INTEGER NOT NULL,
            qn TEXT NOT NULL,
            cp TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            sends INTEGER NOT NULL DEFAULT 0,
            last_sent_at INTEGER,
            retry_at INTEGER,
            acked_at INTEGER,
            UNIQUE (site, cn, data_time));
        CREATE INDEX hj212_frames_pending ON hj212_frames (mn, acked_at, data_time);
        """,
        // 18: a monitor's own 2025 §6.4 SM4 key (issue 15: keys are per monitor, not per platform). Kept as given: the
        // receiver needs the key itself to decrypt; the API never shows it.
        """
        ALTER TABLE hj212_monitors ADD COLUMN sm4_key TEXT;
        """,
        // 19: reporting sites set through the API (issue 15): the platform and MN a site reports under, over Hj212:Sites.
        """
        CREATE TABLE hj212_reporting_sites (
            site TEXT PRIMARY KEY REFERENCES sites (id),
            platform TEXT NOT NULL,
            mn TEXT NOT NULL UNIQUE,
            set_at INTEGER NOT NULL,
            set_by TEXT NOT NULL);
        """,
        // 20: the registers (台账, issue 18): liable parties by unified social credit code, a site's address, party, contact,
        // cooking heads and project, and the history of every register edit as snapshots before and after (a site's
        // evidence and notice show it as it stood when the lead was raised). `version` makes an edit fail rather than
        // overwrite one made meanwhile.
        """
        CREATE TABLE parties (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            contact TEXT,
            phone TEXT,
            address TEXT,
            version INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL);
        ALTER TABLE sites ADD COLUMN address TEXT;
        ALTER TABLE sites ADD COLUMN party TEXT REFERENCES parties (code);
        ALTER TABLE sites ADD COLUMN contact TEXT;
        ALTER TABLE sites ADD COLUMN phone TEXT;
        ALTER TABLE sites ADD COLUMN cooking_heads INTEGER;
        ALTER TABLE sites ADD COLUMN project TEXT;
        ALTER TABLE sites ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE register_history (
            id INTEGER PRIMARY KEY,
            register TEXT NOT NULL,
            entry TEXT NOT NULL,
            change TEXT NOT NULL,
            changed_at INTEGER NOT NULL,
            changed_by TEXT NOT NULL,
            reason TEXT,
            before TEXT,
            after TEXT NOT NULL);
        CREATE INDEX register_history_entry ON register_history (register, entry, changed_at);
        """,
        // 21: the loop's missing steps (issue 18): the penalty case's number (案号, unique in the bureau) and fine in fen,
        // the independent verification (核查), arrival by check-in with the phone's location, and feedback (反馈).
        """
        ALTER TABLE cases ADD COLUMN case_number TEXT;
        ALTER TABLE cases ADD COLUMN fine_fen INTEGER;
        ALTER TABLE cases ADD COLUMN verified_by TEXT;
        ALTER TABLE cases ADD COLUMN verified_at INTEGER;
        ALTER TABLE cases ADD COLUMN verify_note TEXT;
        CREATE UNIQUE INDEX cases_case_number ON cases (case_number);
        CREATE TABLE case_checkins (
            lead INTEGER PRIMARY KEY REFERENCES leads (id),
            at INTEGER NOT NULL,
            lat REAL,
            lon REAL,
            accuracy_m REAL,
            distance_m REAL,
            far INTEGER NOT NULL,
            reason TEXT,
            actor TEXT NOT NULL);
        CREATE TABLE case_feedback (
            id INTEGER PRIMARY KEY,
            lead INTEGER NOT NULL REFERENCES leads (id),
            channel TEXT NOT NULL,
            text TEXT NOT NULL,
            actor TEXT NOT NULL,
            at INTEGER NOT NULL);
        CREATE INDEX case_feedback_lead ON case_feedback (lead, id);
        """,
        // 22: a year of a city (issue 17, `./iot bench year`): lead lists filtered by rule, status or site, and their counts,
        // read an index in the list's order instead of every lead of the queue; a site's devices are found without reading them all.
        """
        CREATE INDEX leads_queue_rule_start ON leads (queue, rule, start_minute);
        CREATE INDEX leads_queue_status_start ON leads (queue, status, start_minute);
        CREATE INDEX leads_site_queue_start ON leads (site, queue, start_minute);
        CREATE INDEX devices_site ON devices (site);
        """,
        // 23: engineers' handling of integrity alerts (Leads/AlertHandling): acknowledged, then resolved with a note; the
        // alert itself never changes.
        """
        CREATE TABLE alert_handling (
            lead INTEGER PRIMARY KEY REFERENCES leads (id),
            acknowledged_at INTEGER NOT NULL,
            acknowledged_by TEXT NOT NULL,
            resolved_at INTEGER,
            resolved_by TEXT,
            note TEXT);
        """,
        // 24: the ingest's backfill lane (issue 17, item 4): telemetry sent late from a device's store, written here as it
        // arrived (one cheap insert per message) so the broker's queue drains at once and live data is never behind it;
        // moved into the journal in large batches and deleted (Ingest/IngestBacklog).
        """
        CREATE TABLE ingest_backlog (
            id INTEGER PRIMARY KEY,
            dev TEXT NOT NULL,
            topic TEXT NOT NULL,
            payload BLOB NOT NULL,
            received_at INTEGER NOT NULL);
        """,
        // 25: bounded storage (issue 17): raw messages move from the hot table `messages` into compressed segment files
        // (Storage/RawMessageStore); `raw_segments` names each file, `raw_blocks` indexes its blocks by message id range.
        """
        CREATE TABLE raw_segments (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            bytes INTEGER NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE raw_blocks (
            first_id INTEGER PRIMARY KEY,
            last_id INTEGER NOT NULL,
            segment INTEGER NOT NULL REFERENCES raw_segments (id),
            position INTEGER NOT NULL,
            length INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            received_to INTEGER NOT NULL);
        CREATE INDEX raw_blocks_segment ON raw_blocks (segment);
        """,
        // 26: two fleet instances (issue 17 item 7): each change of a broker account takes the next revision, so an instance
        // writing the broker's files reads every change since its last write, whoever made it (Broker/BrokerAccounts); each
        // instance's ingest beats in `fleet_instances`, so the leader reads a silent one's MQTT session until it is back (Cluster/).
        """
        ALTER TABLE broker_accounts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX broker_accounts_revision ON broker_accounts (revision);
        CREATE TABLE fleet_instances (
            client_id TEXT PRIMARY KEY,
            seen_at INTEGER NOT NULL);
        """,
        // 27: an installer's phone may send a claim or a sign-off again after losing the answer (the install page's offline
        // queue): the Idempotency-Key it sent is kept with what the request made (Api/IdempotencyKey).
        """
        ALTER TABLE factory_devices ADD COLUMN claim_key TEXT;
        ALTER TABLE commissioning ADD COLUMN request_key TEXT;
        CREATE UNIQUE INDEX commissioning_request_key ON commissioning (request_key) WHERE request_key IS NOT NULL;
        """,
        // 28: the complaints register (投诉举报台账, Complaints/): a complaint from the public with its channel, kind, site or
        // address, text, the complainant's contact (personal data) and the lead it belongs to; its one answer (答复) in the same
        // row, set once. Times in Unix milliseconds.
        """
        CREATE TABLE complaints (
            id INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            site TEXT REFERENCES sites (id),
            address TEXT,
            text TEXT NOT NULL,
            contact TEXT,
            lead INTEGER REFERENCES leads (id),
            reference TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at INTEGER NOT NULL,
            answered_at INTEGER,
            answered_by TEXT,
            answer_channel TEXT,
            answer_text TEXT);
        CREATE INDEX complaints_received ON complaints (received_at);
        CREATE INDEX complaints_lead ON complaints (lead);
        """,
    ];
}
