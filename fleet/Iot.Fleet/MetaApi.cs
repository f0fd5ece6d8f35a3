using System.Reflection;
using Iot.Fleet.Cases;
using Iot.Fleet.Glossary;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet;

/// <summary>A code with the bureau's words for it (Glossary/BureauWords), in Chinese and English.</summary>
public sealed record Label(string Zh, string En)
{
    /// <summary>The words for a glossary key; the code itself where the glossary has none.</summary>
    public static Label Of(string key, string code) => new(BureauWords.Zh(key) ?? code, BureauWords.En(key) ?? code);
}

/// <summary>An enforcement rule as the pages show it: what it judges, in which unit, and whether a lower value is worse.</summary>
public sealed record RuleMeta(string Id, Label Label, SiteKind Kind, string Unit, IReadOnlyList<string> Channels, bool AtNight, bool LowerIsWorse);

/// <summary>A lead or case status the queue filters by.</summary>
public sealed record StatusMeta(string Id, Label Label);

/// <summary>A measurement channel of wire protocol v1 with its unit and accepted range.</summary>
public sealed record ChannelMeta(string Name, SiteKind Kind, string Unit, double Min, double Max, string Meaning);

/// <summary>A record quality bit ("q") and whether it makes the record not evidence.</summary>
public sealed record QualityBitMeta(string Name, int Bit, bool NotEvidence);

/// <summary>GET /api/meta: what the pages need to know of the domain, so they keep no copies of it.</summary>
public sealed record Meta(
    IReadOnlyList<RuleMeta> Rules,
    IReadOnlyList<StatusMeta> Statuses,
    IReadOnlyDictionary<string, string[]> CaseSteps,
    IReadOnlyList<ChannelMeta> Channels,
    IReadOnlyList<string> Units,
    IReadOnlyList<QualityBitMeta> QualityBits,
    int NotEvidence);

/// <summary>
/// GET /api/meta for the pages: the rules with their words in both languages, channels and units, the statuses a lead
/// in the queue can have, the states each case step may start from, the quality bits. Each is read where it is defined
/// (Rules/Rule, Cases/CaseSteps, Telemetry/Channels, the firmware core's QualityBits, Glossary/BureauWords), so adding a
/// rule or a step changes the pages without touching them.
/// </summary>
public static class MetaApi
{
    public static readonly Meta Current = Build();

    public static void MapMetaApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/meta", () => TypedResults.Ok(Current)).WithTags("Meta").RequireAuthorization();

    private static Meta Build()
    {
        var rules = Rules.Rule.All.Select(r => new RuleMeta(r.Id, Label.Of($"rule.{r.Id}", r.Id), r.Kind, r.Unit, r.JudgedChannels, r.AtNight,
            LowerIsWorse: r.IsWorse(0, 1))).ToList();
        // A lead in the queue shows its case's status; one at a site not commissioned shows that instead.
        var statuses = CaseStatus.All.Append(LeadStatus.NotCommissioned).Select(s => new StatusMeta(s, Label.Of($"status.{s}", s))).ToList();
        var channels = Telemetry.Channels.All.Select(c => new ChannelMeta(c.Name, c.Kind, c.Unit, c.Min, c.Max, c.Meaning)).ToList();
        return new Meta(rules, statuses, CaseSteps.AllowedFrom, channels, [.. channels.Select(c => c.Unit).Distinct()], Bits(), QualityBits.NotEvidence);
    }

    /// <summary>The quality bits as the firmware core defines them: its constants that are single bits of
    /// <see cref="QualityBits.All"/> (not the masks, not the backfill delay), named in camelCase.</summary>
    private static List<QualityBitMeta> Bits() =>
        [.. typeof(QualityBits).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => (Name: f.Name, Bit: (int)f.GetRawConstantValue()!))
            .Where(b => b.Bit > 0 && (b.Bit & (b.Bit - 1)) == 0 && (b.Bit & QualityBits.All) == b.Bit)
            .OrderBy(b => b.Bit)
            .Select(b => new QualityBitMeta(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(b.Name), b.Bit, (b.Bit & QualityBits.NotEvidence) != 0))];
}
