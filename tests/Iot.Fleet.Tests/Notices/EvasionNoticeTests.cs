using Iot.Fleet.Notices;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Notices;

/// <summary>The notice (告知书) of a suspected evasion says what it rests on, in the glossary's words.</summary>
public sealed class EvasionNoticeTests
{
    private static readonly Site Kitchen = new("R1", "老王饭店", SiteKind.Fume, "Asia/Shanghai", "G-1", "default", []);

    private static Lead Suspected(string detail, double value, double limit, string unit) => new()
    {
        Queue = LeadQueue.Enforcement, Rule = SuspectedEvasion.RuleId, Site = "R1", StartMinute = 29_400_000, EndMinute = 29_400_000, WindowMinutes = 1,
        Value = value, Limit = limit, Unit = unit, Detail = detail, Devices = new(StringComparer.Ordinal) { "GW1" },
    };

    private static string Notice(Lead lead) => NoticePage.Notice(lead, Kitchen, null, null, [], [], null, null, [], new NoticeOptions());

    [Fact]
    public void An_opened_gateways_notice_says_its_enclosure_was_opened_and_sets_no_value_against_a_limit()
    {
        var html = Notice(Suspected($"{SuspectedEvasion.TamperDetail}: GW1 reported its enclosure opened", 1, 0, ""));
        Assert.Contains("违法事实：营业时间内设备外壳被打开（防拆开关触发）。", html);
        Assert.Contains("设备上报防拆开关触发", html);
        Assert.DoesNotContain("最不利时段数值", html);
    }

    [Fact]
    public void A_silent_gateways_notice_says_it_stopped_sending_and_for_how_long()
    {
        var html = Notice(Suspected($"{SuspectedEvasion.SilenceDetail}; no record yet", 45, 30, "min"));
        Assert.Contains("违法事实：营业时间内设备停止上传数据。", html);
        Assert.Contains("最不利时段数值 45.0", html);
    }
}
