using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using Dapper;
using Iot.Evidence;
using Iot.Fleet.Audit;
using Iot.Fleet.Cases;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Evidence;

/// <summary>One record in the bundle, with the raw message that brought it.</summary>
public sealed record BundleRecord(string Device, long Seq, long Time, int Duration, int Quality, IReadOnlyDictionary<string, double> Measurements,
    string? Firmware, long MessageId, long ReceivedAt);

/// <summary>A raw MQTT message exactly as received.</summary>
public sealed record BundleMessage(long Id, string Topic, byte[] Payload, long ReceivedAt);

/// <summary>What the bundle is made from, gathered before anything is written.</summary>
public sealed record EvidenceSources(Lead Lead, Site? Site, IReadOnlyList<DeviceView> Devices, IReadOnlyList<CommissioningRecord> Commissioning,
    CaseView? Case, IReadOnlyList<BundleRecord> Records, IReadOnlyList<BundleMessage> Messages, long FromTime, long ToTime, DateTimeOffset ExportedAt, string Exporter,
    RuleProfile? Profile = null, IReadOnlyList<DeviceProof>? Proofs = null,
    // Meters (issue 14): the meters the lead rests on and the scans of the certificates that covered its windows.
    IReadOnlyList<Meters.MeterEvidence>? Meters = null, IReadOnlyList<Meters.CertificateScan>? Certificates = null);

/// <summary>An exported bundle: the zip, its SHA-256 (recorded in the audit log), the manifest's SHA-256 and the key that signed it.</summary>
public sealed record ExportedBundle(byte[] Zip, string Sha256, string ManifestSha256, string KeyFingerprint);

/// <summary>
/// The evidence bundle of one lead (GET /api/leads/{id}/evidence.zip) for a case file: a printable page, every record
/// of the lead's devices from an hour before its first window to an hour after its last, the raw MQTT payloads those
/// records came in, the devices, the site's commissioning records and the case history, the devices' proofs of those
/// messages when there are any (`proofs.json`), and the manifests (<see cref="BundleFormat"/>): `manifest.json` with
/// every file's SHA-256, `manifest.sig`, the evidence key's Ed25519 signature over it (`iot-evidence verify` checks it
/// all offline), and `manifest.sha256` in `sha256sum` format so anyone can check the unzipped folder with
/// `sha256sum -c manifest.sha256`.
/// </summary>
public sealed class EvidenceExport(FleetDatabase database, RawMessageStore raw, LeadStore leads, SiteRegistry registry, CommissioningRecords commissioning, CaseStore cases,
    TimeProvider clock, EvidenceKeys keys, IDeviceProofs proofs, Meters.MeterRegister? meters = null)
{
    /// <summary>Context kept either side of the lead's windows.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromHours(1);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // readable Chinese in the files; they are not embedded in HTML
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The signed bundle; null when there is no such enforcement lead.</summary>
    public ExportedBundle? Export(long leadId, string exporter)
    {
        if (Gather(leadId, exporter) is not { } sources) return null;
        var files = Files(sources, keys);
        var zip = Zip(files, sources.ExportedAt);
        var manifest = files.Single(f => f.Path == BundleFormat.Manifest).Bytes;
        var signature = DetachedSignature.Parse(files.Single(f => f.Path == BundleFormat.Signature).Bytes, out _)!;
        return new ExportedBundle(zip, Sha256(zip), Sha256(manifest), signature.Fingerprint);
    }

    public EvidenceSources? Gather(long leadId, string exporter)
    {
        if (leads.Get(leadId) is not { Queue: LeadQueue.Enforcement } lead) return null;
        var from = lead.StartMinute * 60 - (long)Margin.TotalSeconds;
        var to = (lead.EndMinute + lead.WindowMinutes) * 60 + (long)Margin.TotalSeconds;
        using var connection = database.Open();
        var records = new List<BundleRecord>();
        foreach (var device in lead.Devices)
            records.AddRange(connection.Query<(string Dev, long Seq, long T, long Dur, long Q, string M, string? Fw, long MessageId, long ReceivedAt)>(
                    """
                    SELECT dev, seq, t, dur, q, m, fw, message_id, received_at FROM records
                    WHERE dev = @device AND t >= @lower AND t < @to AND t + dur > @from ORDER BY t, seq
                    """, new { device, lower = from - WireProtocol.MaxDurationSeconds, from, to })
                .Select(r => new BundleRecord(r.Dev, r.Seq, r.T, (int)r.Dur, (int)r.Q, JsonSerializer.Deserialize<Dictionary<string, double>>(r.M)!, r.Fw,
                    r.MessageId, r.ReceivedAt)));
        records = records.OrderBy(r => r.Time).ThenBy(r => r.Device, StringComparer.Ordinal).ThenBy(r => r.Seq).ToList();
        // From the hot table or the segments, wherever the raw message is now (Storage/RawMessageStore).
        var messages = raw.Get(records.Select(r => r.MessageId).Distinct().ToList()).Values
            .OrderBy(m => m.Id)
            .Select(m => new BundleMessage(m.Id, m.Topic, m.Payload, m.ReceivedAt.ToUnixTimeMilliseconds()))
            .ToList();
        CaseView? caseView = null;
        if (lead.Status == LeadStatus.New) caseView = cases.Get(lead.Id);
        return new EvidenceSources(lead, registry.GetSite(lead.Site, lead.Start), lead.Devices.Select(registry.View).OfType<DeviceView>().ToList(),
            commissioning.OfSite(lead.Site), caseView, records, messages, from, to, clock.GetUtcNow(), exporter,
            registry.ProfileVersion(lead.Profile, lead.ProfileVersion), proofs.ForMessages(messages.Select(m => m.Id).ToList()),
            meters?.Behind(lead), meters?.CertificatesOf(lead));
    }

    /// <summary>The files of the bundle in their order, manifests last, signed with the current evidence key.</summary>
    public static IReadOnlyList<(string Path, byte[] Bytes)> Files(EvidenceSources s, EvidenceKeys keys)
    {
        var files = new List<(string Path, byte[] Bytes)>
        {
            ("index.html", Encoding.UTF8.GetBytes(EvidencePage.Html(s))),
            ("lead.json", JsonSerializer.SerializeToUtf8Bytes(new
            {
                lead = LeadView.Of(s.Lead), window_minutes = s.Lead.WindowMinutes, raised_at = s.Lead.RaisedAt.UtcDateTime, s.Lead.Detail,
                profile = s.Profile is { } p ? ProfileVersionView.Of(p) : null, records_from = Utc(s.FromTime), records_to = Utc(s.ToTime),
            }, Json)),
            ("readings.csv", Encoding.UTF8.GetBytes(ReadingsCsv(s))),
            ("device.json", JsonSerializer.SerializeToUtf8Bytes(new { devices = s.Devices, site = s.Site }, Json)),
            ("commissioning.json", JsonSerializer.SerializeToUtf8Bytes(s.Commissioning, Json)),
            ("case.json", JsonSerializer.SerializeToUtf8Bytes(s.Case, Json)),
            ("messages/index.csv", Encoding.UTF8.GetBytes(MessageIndex(s.Messages))),
        };
        files.AddRange(s.Messages.Select(m => (MessagePath(m.Id), m.Payload)));
        // Meters (issue 14): which meters, their calibration, and the certificate scans, when the register has them.
        if (s.Meters is { Count: > 0 }) files.Add(("meters.json", JsonSerializer.SerializeToUtf8Bytes(s.Meters, Json)));
        files.AddRange((s.Certificates ?? []).Select(c => ($"certificates/{c.FileName}", c.Bytes)));
        if (s.Proofs is { Count: > 0 } proofs)
        {
            var payloads = s.Messages.ToDictionary(m => m.Id);
            files.Add((BundleFormat.Proofs, JsonSerializer.SerializeToUtf8Bytes(new
            {
                format = ProofsFormat.Format,
                proofs = proofs.Where(p => payloads.ContainsKey(p.MessageId)).OrderBy(p => p.MessageId).Select(p => new
                {
                    message_id = p.MessageId, file = MessagePath(p.MessageId), sha256 = Sha256(payloads[p.MessageId].Payload), device = p.Device, scope = p.Scope,
                    algorithm = p.Algorithm, value = p.Value, key_id = p.KeyId, verified_at_ingest = p.VerifiedAtIngest, public_key = p.PublicKey,
                }).ToList(),
            }, Json)));
        }
        var (manifest, signature) = keys.SignBuilt(BundleFormat.Manifest, key => JsonSerializer.SerializeToUtf8Bytes(new
        {
            format = BundleFormat.Format,
            lead = s.Lead.Id,
            exported_at = s.ExportedAt.UtcDateTime,
            exporter = s.Exporter,
            algorithm = "sha256",
            signing_key = new { algorithm = key.Algorithm, public_key = key.PublicKey, fingerprint = key.Fingerprint },
            files = files.Select(f => new { path = f.Path, sha256 = Sha256(f.Bytes), bytes = f.Bytes.Length }).ToList(),
        }, Json));
        files.Add((BundleFormat.Manifest, manifest));
        // `sha256sum` format: hex digest, two spaces (text mode), path; it covers manifest.json too (not the signature).
        var sums = BundleFormat.SumsFile(files);
        files.Add((BundleFormat.Signature, signature.ToBytes()));
        files.Add((BundleFormat.Sums, sums));
        return files;
    }

    public static string MessagePath(long id) => $"messages/{id.ToString("D10", CultureInfo.InvariantCulture)}.json";

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static byte[] Zip(IReadOnlyList<(string Path, byte[] Bytes)> files, DateTimeOffset at)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, bytes) in files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
                entry.LastWriteTime = at;
                using var stream = entry.Open();
                stream.Write(bytes);
            }
        return buffer.ToArray();
    }

    /// <summary>Quality bits by name, as the wire protocol defines them (Gateway.Core QualityBits).</summary>
    private static readonly (int Bit, string Name)[] QualityNames =
    [
        (QualityBits.ClockUnsynced, "clock_unsynced"), (QualityBits.SensorFault, "sensor_fault"),
        (QualityBits.WarmUp, "warm_up"), (QualityBits.Maintenance, "maintenance"),
        (QualityBits.Tamper, "tamper"), (QualityBits.Backfill, "backfill"),
        (QualityBits.PowerInterruption, "power_interruption"),
    ];

    public static string ReadingsCsv(EvidenceSources s)
    {
        var zone = Glossary.LocalTime.Zone(s.Site?.Timezone);
        var known = Channels.All.Select(c => c.Name).ToList();
        var present = s.Records.SelectMany(r => r.Measurements.Keys).Distinct(StringComparer.Ordinal).ToList();
        var channels = known.Where(present.Contains).Concat(present.Except(known, StringComparer.Ordinal).Order(StringComparer.Ordinal)).ToList();
        var leadFrom = s.Lead.StartMinute * 60;
        var leadTo = (s.Lead.EndMinute + s.Lead.WindowMinutes) * 60;
        var csv = new StringBuilder();
        csv.Append("device,seq,window_start_utc,window_start_local,duration_s,quality,quality_flags,evidence,in_lead_windows,message_id,received_at_utc");
        foreach (var c in channels) csv.Append(',').Append(c);
        csv.Append('\n');
        foreach (var r in s.Records)
        {
            var start = DateTimeOffset.FromUnixTimeSeconds(r.Time);
            var flags = string.Join('|', QualityNames.Where(q => (r.Quality & q.Bit) != 0).Select(q => q.Name));
            var evidence = (r.Quality & QualityBits.NotEvidence) == 0;
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Device},{r.Seq},{start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ},{TimeZoneInfo.ConvertTime(start, zone):yyyy-MM-ddTHH:mm:sszzz},{r.Duration},{r.Quality},{flags},");
            csv.Append(evidence ? "true" : "false").Append(',').Append(r.Time < leadTo && r.Time + r.Duration > leadFrom ? "true" : "false");
            csv.Append(CultureInfo.InvariantCulture, $",{r.MessageId},{DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}");
            foreach (var c in channels)
                csv.Append(',').Append(r.Measurements.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            csv.Append('\n');
        }
        return csv.ToString();
    }

    private static string MessageIndex(IReadOnlyList<BundleMessage> messages)
    {
        var csv = new StringBuilder("file,message_id,topic,received_at_utc,bytes,sha256\n");
        foreach (var m in messages)
            csv.Append(CultureInfo.InvariantCulture,
                $"{MessagePath(m.Id)},{m.Id},{m.Topic},{DateTimeOffset.FromUnixTimeMilliseconds(m.ReceivedAt).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ},{m.Payload.Length},{Sha256(m.Payload)}\n");
        return csv.ToString();
    }

    private static DateTime Utc(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
}
