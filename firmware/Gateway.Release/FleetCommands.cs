using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Iot.Gateway.Release;

/// <summary>
/// `upload` and `campaign …`: the release engineer's commands against the fleet, thin over its HTTP API
/// (fleet/Iot.Fleet/Updates: POST /api/releases, /api/campaigns…). The fleet re-checks every release against the
/// public keys it trusts; nothing here sends the private key anywhere.
/// </summary>
public static class FleetCommands
{
    private static readonly Option<string> FleetUrl = new("--fleet") { Description = "the fleet's base URL, e.g. https://fleet.example", Required = true };
    private static readonly Option<string> Token = new("--token") { Description = "an API token of an engineer (or the admin token)", Required = true };

    public static Command Upload()
    {
        var dir = new Argument<string>("release-dir") { Description = "the folder publish wrote (release.json and the bundle)" };
        var command = new Command("upload", "upload a published release to the fleet (it re-checks signature, size and SHA-256)") { FleetUrl, Token, dir };
        command.SetAction(async (result, cancel) => await Run(async () =>
        {
            string folder = result.GetValue(dir)!;
            var release = ReleaseDocument.Load(Path.Combine(folder, ReleaseDocument.FileName));
            string bundlePath = Path.Combine(folder, release.File);
            using var http = Client(result);
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(folder, ReleaseDocument.FileName), cancel)), "release", ReleaseDocument.FileName);
            await using var bundle = File.OpenRead(bundlePath);
            HttpResponseMessage? answer = null;
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"{release.Version} → fleet", maxValue: bundle.Length);
                    var content = new StreamContent(new ProgressStream(bundle, n => task.Increment(n)));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(content, "bundle", release.File);
                    answer = await http.PostAsync("api/releases", form, cancel);
                });
            var body = await Answer(answer!);
            AnsiConsole.MarkupLineInterpolated($"[green]uploaded[/] {body?["target"]} {body?["version"]}, {body?["size"]} bytes");
        }));
        return command;
    }

    public static Command Campaign()
    {
        var campaign = new Command("campaign", "OTA campaigns: create, list, show, pause, resume, abort, rollback");
        var version = new Option<string>("--version") { Description = "the release to install", Required = true };
        var stages = new Option<string>("--stages") { Description = "cumulative percentages per stage", DefaultValueFactory = _ => "1,10,50,100" };
        var rate = new Option<double?>("--rate") { Description = "commands per minute at most" };
        var halt = new Option<double>("--halt-threshold") { Description = "halt when this share of a stage failed", DefaultValueFactory = _ => 0.1 };
        var health = new Option<double>("--health-timeout") { Description = "seconds a device has to prove healthy after switching", DefaultValueFactory = _ => 900 };
        var silent = new Option<double>("--silent-timeout") { Description = "seconds of silence before a device times out", DefaultValueFactory = _ => 1800 };
        var kind = new Option<string?>("--site-kind") { Description = "noise, dust or fume" };
        var grid = new Option<string?>("--grid") { Description = "only devices of sites in this grid" };
        var firmware = new Option<string?>("--firmware") { Description = "only devices now running this version" };
        var devices = new Option<string?>("--devices") { Description = "only these devices (comma-separated)" };
        var downgrade = new Option<bool>("--allow-downgrade") { Description = "install on devices running a newer version (the release must be signed so)" };
        var create = new Command("create", "start a campaign") { FleetUrl, Token, version, stages, rate, halt, health, silent, kind, grid, firmware, devices, downgrade };
        create.SetAction(async (r, cancel) => await Run(async () =>
        {
            using var http = Client(r);
            var spec = new JsonObject
            {
                ["version"] = r.GetValue(version),
                ["stages"] = new JsonArray(r.GetValue(stages)!.Split(',').Select(s => (JsonNode)double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
                ["ratePerMinute"] = r.GetValue(rate),
                ["haltThreshold"] = r.GetValue(halt),
                ["healthTimeoutSeconds"] = r.GetValue(health),
                ["silentTimeoutSeconds"] = r.GetValue(silent),
                ["allowDowngrade"] = r.GetValue(downgrade),
                ["target"] = new JsonObject
                {
                    ["siteKind"] = r.GetValue(kind), ["grid"] = r.GetValue(grid), ["firmware"] = r.GetValue(firmware),
                    ["devices"] = r.GetValue(devices) is { } list ? new JsonArray(list.Split(',').Select(d => (JsonNode)d.Trim()).ToArray()) : null,
                },
            };
            Show(await Answer(await http.PostAsJsonAsync("api/campaigns", spec, cancel)));
        }));
        campaign.Subcommands.Add(create);

        var list = new Command("list", "all campaigns with their progress") { FleetUrl, Token };
        list.SetAction(async (r, cancel) => await Run(async () =>
        {
            using var http = Client(r);
            var table = new Table().AddColumns("id", "version", "status", "stage", "updated", "failed", "reason");
            foreach (var c in (await http.GetFromJsonAsync<JsonArray>("api/campaigns", cancel))!.Select(c => c!.AsObject()))
            {
                var progress = c["progress"]!.AsArray();
                table.AddRow(Markup.Escape($"{c["id"]}"), Markup.Escape($"{c["version"]}"), Markup.Escape($"{c["status"]}"), $"{c["stage"]}/{c["stages"]}",
                    $"{progress.Sum(p => (int)p!["succeeded"]!)}", $"{progress.Sum(p => (int)p!["failed"]!)}", Markup.Escape($"{c["statusReason"]}"));
            }
            AnsiConsole.Write(table);
        }));
        campaign.Subcommands.Add(list);

        var id = new Argument<long>("id") { Description = "the campaign" };
        var show = new Command("show", "a campaign's stages and failures") { FleetUrl, Token, id };
        show.SetAction(async (r, cancel) => await Run(async () =>
        {
            using var http = Client(r);
            Show(await Answer(await http.GetAsync($"api/campaigns/{r.GetValue(id)}", cancel)));
        }));
        campaign.Subcommands.Add(show);

        foreach (var action in new[] { "pause", "resume", "abort" })
        {
            var command = new Command(action, $"{action} a campaign") { FleetUrl, Token, id };
            command.SetAction(async (r, cancel) => await Run(async () =>
            {
                using var http = Client(r);
                Show(await Answer(await http.PostAsync($"api/campaigns/{r.GetValue(id)}/{action}", null, cancel)));
            }));
            campaign.Subcommands.Add(command);
        }

        var to = new Option<string?>("--to") { Description = "the release to go back to (default: the version the devices ran before)" };
        var rollback = new Command("rollback", "a new campaign taking the devices a campaign updated back") { FleetUrl, Token, id, to };
        rollback.SetAction(async (r, cancel) => await Run(async () =>
        {
            using var http = Client(r);
            Show(await Answer(await http.PostAsJsonAsync($"api/campaigns/{r.GetValue(id)}/rollback", new JsonObject { ["version"] = r.GetValue(to) }, cancel)));
        }));
        campaign.Subcommands.Add(rollback);
        return campaign;
    }

    /// <summary>Status, a bar per stage (updated / in progress / failed) and the failures with the devices' reasons.</summary>
    private static void Show(JsonObject? c)
    {
        if (c is null) return;
        AnsiConsole.MarkupLineInterpolated($"campaign [bold]{c["id"]}[/] → {c["version"]}: [bold]{c["status"]}[/] (stage {c["stage"]} of {c["stages"]}) {c["statusReason"]}");
        foreach (var s in c["progress"]!.AsArray().Select(s => s!.AsObject()))
        {
            AnsiConsole.MarkupLineInterpolated($"stage {s["stage"]} ({s["share"]} %), {s["devices"]} devices:");
            AnsiConsole.Write(new BreakdownChart().Width(60)
                .AddItem("updated", (int)s["succeeded"]!, Color.Green)
                .AddItem("in progress", (int)s["inProgress"]!, Color.Blue)
                .AddItem("failed", (int)s["failed"]!, Color.Red)
                .AddItem("queued", (int)s["queued"]!, Color.Grey));
        }
        var failures = c["failures"]!.AsArray();
        if (failures.Count == 0) return;
        var table = new Table().AddColumns("device", "stage", "state", "reason", "health");
        foreach (var f in failures.Select(f => f!.AsObject()))
            table.AddRow(Markup.Escape($"{f["device"]}"), $"{f["stage"]}", Markup.Escape($"{f["state"]}"), Markup.Escape($"{f["reason"]}"), Markup.Escape($"{f["health"]}"));
        AnsiConsole.Write(table);
    }

    private static HttpClient Client(ParseResult result)
    {
        var http = new HttpClient { BaseAddress = new Uri(result.GetValue(FleetUrl)!.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", result.GetValue(Token));
        return http;
    }

    private static async Task<JsonObject?> Answer(HttpResponseMessage answer)
    {
        var body = await answer.Content.ReadAsStringAsync();
        if (answer.IsSuccessStatusCode) return JsonNode.Parse(body) as JsonObject;
        var detail = (JsonNode.Parse(body.Length > 0 ? body : "{}") as JsonObject)?["detail"]?.ToString() ?? body;
        throw new HttpRequestException($"the fleet answered {(int)answer.StatusCode}: {detail}");
    }

    private static async Task<int> Run(Func<Task> work)
    {
        try
        {
            await work();
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or System.Text.Json.JsonException or FormatException or TaskCanceledException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Reports bytes as the HTTP client reads them (the upload's progress bar).</summary>
    private sealed class ProgressStream(Stream inner, Action<int> read) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            read(n);
            return n;
        }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            read(n);
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
