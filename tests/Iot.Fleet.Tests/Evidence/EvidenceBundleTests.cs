using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Fleet.Audit;
using Iot.Fleet.Evidence;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Evidence;

/// <summary>The bundle's files and manifests, checked the way an outside reader would: `sha256sum -c`.</summary>
public sealed class EvidenceBundleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-evidence-").FullName;
    private readonly string _state = Directory.CreateTempSubdirectory("iot-evidence-key-").FullName;
    private readonly EvidenceKeys _keys;

    public EvidenceBundleTests() => _keys = TestKeys(_state);

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_state, recursive: true);
    }

    /// <summary>An evidence key in its own state folder, as the fleet keeps it.</summary>
    public static EvidenceKeys TestKeys(string folder) =>
        new(Microsoft.Extensions.Options.Options.Create(new Iot.Fleet.Storage.DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(folder, "fleet.db")}" }),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<EvidenceKeys>.Instance);

    internal static EvidenceSources Sources()
    {
        const long minute = 29_916_680; // 2026-11-19 UTC
        var lead = new Lead
        {
            Id = 7, Queue = LeadQueue.Enforcement, Rule = "fume.concentration", Site = "R-1", Devices = new(StringComparer.Ordinal) { "GW-1" },
            StartMinute = minute, EndMinute = minute + 2, WindowMinutes = 10, Value = 2.6, Limit = 2.0, Unit = "mg/m³",
            RaisedAt = DateTimeOffset.FromUnixTimeSeconds((minute + 13) * 60),
        };
        var payload = Encoding.UTF8.GetBytes("""{"v":1,"dev":"GW-1","recs":[{"seq":1,"t":0,"dur":60,"q":0,"m":{"fume":2.6,"fan":1,"pur":1}}]}""");
        var records = Enumerable.Range(0, 15).Select(i => new BundleRecord("GW-1", i + 1, (minute + i) * 60, 60, i == 3 ? 32 : 0,
            new Dictionary<string, double> { ["fume"] = 2.5 + i * 0.01, ["fan"] = 1, ["pur"] = 1 }, "1.0.0", 42, (minute + i + 1) * 60_000)).ToList();
        return new EvidenceSources(lead, new Site("R-1", "川味小馆 <Sichuan>", SiteKind.Fume, "Asia/Shanghai", "G-1", "default", []),
            [new DeviceView("GW-1", "R-1", null, "1.0.0", "online", null, 0)], [], null, records,
            [new BundleMessage(42, "iot/v1/GW-1/telemetry", payload, minute * 60_000)], minute * 60 - 3600, (minute + 12) * 60 + 3600,
            DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), "li.wei");
    }

    [Fact]
    public void Every_file_is_in_both_manifests_in_a_fixed_order_and_sha256sum_agrees()
    {
        var files = EvidenceExport.Files(Sources(), _keys);
        Assert.Equal(["index.html", "lead.json", "readings.csv", "device.json", "commissioning.json", "case.json", "messages/index.csv",
            "messages/0000000042.json", "manifest.json", "manifest.sig", "manifest.sha256"], files.Select(f => f.Path));
        Assert.Equal(files.Select(f => f.Path), EvidenceExport.Files(Sources(), _keys).Select(f => f.Path));

        var manifest = JsonNode.Parse(files.Single(f => f.Path == "manifest.json").Bytes)!;
        Assert.Equal("li.wei", (string)manifest["exporter"]!);
        Assert.Equal(_keys.Current.PublicKey, (string)manifest["signing_key"]!["public_key"]!);
        Assert.Equal(files.Count - 3, manifest["files"]!.AsArray().Count);
        var sums = Encoding.UTF8.GetString(files[^1].Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(files.Count - 2, sums.Length); // all but the signature and the sums themselves

        foreach (var (path, bytes) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir, path))!);
            File.WriteAllBytes(Path.Combine(_dir, path), bytes);
        }
        Assert.Equal(0, EvidenceChecks.Sha256SumCheck(_dir).ExitCode);

        File.AppendAllText(Path.Combine(_dir, "readings.csv"), "tampered\n");
        Assert.NotEqual(0, EvidenceChecks.Sha256SumCheck(_dir).ExitCode);
    }

    [Fact]
    public void The_page_and_readings_say_what_a_case_file_needs()
    {
        var files = EvidenceExport.Files(Sources(), _keys).ToDictionary(f => f.Path, f => Encoding.UTF8.GetString(f.Bytes));
        var html = files["index.html"];
        Assert.Contains("<svg", html);
        Assert.Contains("限值 limit 2 mg/m", html);
        Assert.Contains("川味小馆 &lt;Sichuan&gt;", html);
        Assert.Contains("调试验收记录 Commissioning records", html);
        // People read the site's local time with its offset and the bureau's words: no UTC, no rule or status codes.
        Assert.DoesNotContain("UTC", html);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\+08:00\)", html);
        Assert.DoesNotMatch(@"\b(noise|dust|fume)\.[a-z_]+\b", html);
        Assert.Contains("油烟浓度超标", html);
        var csv = files["readings.csv"].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16, csv.Length);
        Assert.StartsWith("device,seq,window_start_utc,window_start_local,duration_s,quality,quality_flags,evidence,in_lead_windows,message_id,received_at_utc,fume,fan,pur", csv[0]);
        Assert.Contains("+08:00,60,32,backfill,true,true,42,", csv[4]);
    }
}

/// <summary>Runs coreutils' `sha256sum -c manifest.sha256` in an unzipped bundle.</summary>
public static class EvidenceChecks
{
    public static (int ExitCode, string Output) Sha256SumCheck(string folder)
    {
        using var process = Process.Start(new ProcessStartInfo("sha256sum", ["-c", "manifest.sha256"])
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
