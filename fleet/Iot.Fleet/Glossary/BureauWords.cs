using System.Text.Json;
using System.Text;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Glossary;

/// <summary>
/// The bureau's words for the domain's codes — rules, lead and case states, case steps, site kinds, permit states —
/// in Chinese and English, in one place: server-made outputs (DingTalk, the evidence page, exports) read them here,
/// and the pages load the same table as /assets/words.js. Chinese outputs never show a raw code.
/// </summary>
public static class BureauWords
{
    private static readonly Dictionary<string, (string Zh, string En)> Terms = new(StringComparer.Ordinal)
    {
        ["rule.noise.day_leq"] = ("昼间施工噪声超标", "Day construction noise"),
        ["rule.noise.night_leq"] = ("夜间施工噪声超标", "Night construction noise"),
        ["rule.noise.night_lmax"] = ("夜间最大声级超标", "Night maximum sound level"),
        ["rule.dust.pm10"] = ("扬尘 PM10 超标", "Dust PM10"),
        ["rule.fume.concentration"] = ("油烟浓度超标", "Cooking fume"),
        ["rule.fume.purifier_off"] = ("不正常使用油烟净化设施", "Fume purifier not in normal use"),
        ["rule.fleet.offline"] = ("设备离线", "Device offline"),
        ["rule.fume.suspected_evasion"] = ("营业时间监控设备离线或被拆（疑似逃避监管）", "Gateway silent or opened in business hours (suspected evasion)"),
        ["fact.fume.suspected_evasion"] = ("营业时间内油烟在线监控设备中断上传数据或被拆开", "the fume monitoring gateway stopped sending data or was opened during business hours"),
        // What a suspected-evasion lead rests on (Rules/SuspectedEvasion.CauseOf).
        ["evasion.silence"] = ("营业时间内设备停止上传数据", "the gateway stopped sending data in business hours"),
        ["evasion.tamper"] = ("营业时间内设备外壳被打开（防拆开关触发）", "the gateway's enclosure was opened in business hours (tamper switch)"),
        // Integrity alerts for engineers (Leads/AlertHandling: acknowledged, then resolved).
        ["rule.monitor.offline"] = ("监测设备离线", "Gateway offline"),
        ["rule.monitor.tamper"] = ("防拆报警", "Tamper alarm"),
        ["rule.monitor.flatline"] = ("数据恒值（疑似故障）", "Flat readings (suspected fault)"),
        ["rule.monitor.conflict"] = ("记录编号冲突", "Record number conflict"),
        ["rule.monitor.unauthenticated"] = ("记录未经设备签名", "Records not signed by the device"),
        ["rule.meter.calibration_expiring"] = ("计量检定即将到期", "Calibration expiring"),
        ["rule.fleet.stage_failed"] = ("平台处理环节故障", "Fleet stage failed"),
        ["rule.fleet.stage_stalled"] = ("平台处理环节停滞", "Fleet stage stalled"),
        ["rule.fleet.disk_low"] = ("平台磁盘空间不足", "Fleet disk low"),
        // OTA campaigns for engineers (Updates/): where a campaign is, what each gateway said of its update, the fleet's own
        // health check after it (Updates/Campaign.cs: CampaignStatus, UpdateState, HealthGate).
        ["campaign.running"] = ("升级中", "running"),
        ["campaign.paused"] = ("已暂停", "paused"),
        ["campaign.halted"] = ("已熔断（失败过多）", "halted (too many failures)"),
        ["campaign.aborted"] = ("已中止", "aborted"),
        ["campaign.completed"] = ("已完成", "completed"),
        ["ota.queued"] = ("排队", "queued"),
        ["ota.sent"] = ("已下发", "sent"),
        ["ota.checking"] = ("检查中", "checking"),
        ["ota.downloading"] = ("下载中", "downloading"),
        ["ota.verified"] = ("已校验", "verified"),
        ["ota.installing"] = ("安装中", "installing"),
        ["ota.trial"] = ("试运行", "on trial"),
        ["ota.confirmed"] = ("已确认新版本", "confirmed"),
        ["ota.failed"] = ("失败", "failed"),
        ["ota.rolled_back"] = ("已自动回退", "rolled back"),
        ["ota.timed_out"] = ("超时无响应", "timed out"),
        ["ota.skipped"] = ("未下发", "skipped"),
        ["ota.health.pending"] = ("运行检查中", "health check pending"),
        ["ota.health.passed"] = ("运行正常", "healthy"),
        ["ota.health.failed"] = ("运行异常", "unhealthy"),
        ["alert.open"] = ("待处理", "open"),
        ["alert.acknowledged"] = ("已确认", "acknowledged"),
        ["alert.resolved"] = ("已解决", "resolved"),

        // How a notice to the party words the fact of each rule's breach.
        ["fact.noise.day_leq"] = ("昼间施工噪声超过排放限值", "day construction noise above the emission limit"),
        ["fact.noise.night_leq"] = ("夜间施工噪声超过排放限值", "night construction noise above the emission limit"),
        ["fact.noise.night_lmax"] = ("夜间施工噪声最大声级超过限值", "night maximum sound level above the limit"),
        ["fact.dust.pm10"] = ("施工扬尘（PM10）超过限值", "construction dust (PM10) above the limit"),
        ["fact.fume.concentration"] = ("餐饮油烟排放浓度超过限值", "cooking fume concentration above the emission limit"),
        ["fact.fume.purifier_off"] = ("不正常使用油烟净化设施（排风机运行时净化设施未同步运行）", "fume purifier not in normal use (off while the fan ran)"),

        ["status.new"] = ("新线索", "new"),
        ["status.open"] = ("待立案", "open"),
        ["status.acknowledged"] = ("已立案", "registered"),
        ["status.dispatched"] = ("已派遣", "dispatched"),
        ["status.no_violation"] = ("现场未发现违法", "no violation on site"),
        ["status.violation_found"] = ("现场发现违法", "violation found"),
        ["status.noticed"] = ("已告知（首次轻微）", "noticed (minor first)"),
        ["status.rectifying"] = ("整改中", "rectifying"),
        ["status.rectified"] = ("已整改", "rectified"),
        ["status.not_rectified"] = ("未整改", "not rectified"),
        ["status.confirmed"] = ("结案·属实", "closed · confirmed"),
        ["status.dismissed"] = ("不予立案·销号", "not filed · written off"),
        ["status.not_commissioned"] = ("点位未调试", "monitoring point not commissioned"),
        ["status.recovered"] = ("已恢复", "recovered"),
        ["status.merged"] = ("已并入其他线索", "merged"),
        ["status.withdrawn"] = ("已撤回", "withdrawn"),

        ["step.acknowledge"] = ("立案", "Register"),
        ["step.dispatch"] = ("派遣", "Dispatch"),
        ["step.checkin"] = ("到场签到", "Check in on site"),
        ["step.result"] = ("现场处置结果", "On-site result"),
        ["step.notice"] = ("告知承诺", "Notice first"),
        ["step.file"] = ("处罚立案", "File the penalty case"),
        ["step.deadline"] = ("责令限期改正", "Order correction by a deadline"),
        ["step.recheck"] = ("复查", "Re-check"),
        ["step.verify"] = ("核查", "Verify"),
        ["step.close"] = ("结案", "Close"),
        ["step.feedback"] = ("反馈", "Feedback"),
        ["step.overdue"] = ("超时未到场", "Response target missed"),
        ["step.minor"] = ("人工认定（轻微与否）", "Inspector's decision (minor or not)"),
        ["step.commitment"] = ("承诺书", "Commitment letter"),

        ["kind.fume"] = ("餐饮油烟", "restaurant fume"),
        ["kind.noise"] = ("工地噪声", "construction noise"),
        ["kind.dust"] = ("工地扬尘", "construction dust"),

        // Night work needs the authorities' certificate (夜间施工证明, 噪声污染防治法 art. 43), which bureaus keep as a
        // registration (报备): applied, registered, refused, revoked — the four numbers of their yearly reports.
        ["permit"] = ("夜间施工证明（报备）", "night-work certificate (registration)"),
        ["permit.filed"] = ("已申请", "applied"),
        ["permit.approved"] = ("已报备（有证明）", "registered (certificate issued)"),
        ["permit.refused"] = ("不予报备", "refused"),
        ["permit.revoked"] = ("已撤销", "revoked"),

        // Where feedback (反馈) goes: the closed loop's last step.
        ["feedback.complainant"] = ("投诉举报人", "complainant"),
        ["feedback.party"] = ("当事人（经营者、施工单位）", "the party (operator or contractor)"),
        ["feedback.hotline_12345"] = ("12345 政务服务便民热线", "12345 city hotline platform"),
        ["feedback.grid_platform"] = ("城市网格化管理平台", "city grid management platform"),

        // Complaints and reports from the public (投诉举报, Complaints/): how one came in, what it is about, how it was answered.
        ["complaint"] = ("投诉举报", "complaint"),
        ["complaint.channel.hotline_12345"] = ("12345 热线", "12345 hotline"),
        ["complaint.channel.petition"] = ("信访（来信来访）", "letters and visits (xinfang)"),
        ["complaint.channel.online"] = ("网络、微信", "online, WeChat"),
        ["complaint.channel.phone"] = ("来电（执法局电话）", "phone call to the bureau"),
        ["complaint.channel.walk_in"] = ("当面投诉", "in person at the bureau"),
        ["kind.other"] = ("其他", "other"),
        ["complaint.answer"] = ("答复", "answer"),
        ["complaint.answer.phone"] = ("电话答复", "by phone"),
        ["complaint.answer.sms"] = ("短信答复", "by text message"),
        ["complaint.answer.letter"] = ("书面答复", "in writing"),
        ["complaint.answer.platform"] = ("平台回复（12345、网络）", "on the platform it came from (12345, online)"),
        ["complaint.answer.in_person"] = ("当面答复", "in person"),
        ["complaint.answer.case_feedback"] = ("案件反馈（投诉举报人）", "the case's feedback to the complainant"),
        ["complaint.answered"] = ("已答复", "answered"),
        ["complaint.unanswered"] = ("未答复", "not answered"),
        ["complaint.on_time"] = ("按时答复", "answered on time"),
        ["complaint.late"] = ("超期答复", "answered late"),

        // The place the bureau monitors, and the words of the loop the pages and the report share.
        ["site"] = ("点位", "monitoring point"),
        ["case_number"] = ("案号", "case number"),
        ["fine"] = ("罚款金额（元）", "fine (yuan)"),

        ["device.online"] = ("在线", "online"),
        ["device.offline"] = ("离线", "offline"),
        ["device.never seen"] = ("从未上线", "never seen"),
        ["device.unknown"] = ("未知", "unknown"),

        ["proof.verified"] = ("每条记录均经设备签名验证", "every record verified as sent by the device"),
        ["proof.partly"] = ("部分记录无设备签名", "some records not signed by the device"),
        ["proof.unproven"] = ("记录无设备签名（仅凭设备登录凭证）", "records not signed by the device (its broker login only)"),

        ["unit.share"] = ("运行比例", "share"),
    };

    /// <summary>Words the bureau does not use for what this system means, each with the glossary's word that replaces it
    /// and why (Glossary/README.md). A test fails when a page or a server-side text uses one.</summary>
    public static readonly IReadOnlyDictionary<string, (string Use, string Why)> Replaced = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["受理"] = ("立案", "the bureau's loop is 信息收集→立案→派遣→处置→核查→结案→反馈"),
        ["不予处理"] = ("不予立案·销号", "a lead that is not a case is not filed, or written off as invalid (无效线索销号)"),
        ["设定整改期限"] = ("责令限期改正", "the order's name in the Administrative Penalty Law art. 28"),
        ["夜间突发噪声"] = ("夜间最大声级", "GB 3096's term; GB 12523-2011 judges the night's maximum sound level"),
        ["站点"] = ("点位", "a monitored place is a monitoring point (监测点位), as the notice and its publication say"),
        ["夜间施工许可"] = ("夜间施工证明（报备）", "night work is certified and registered, not licensed (噪声污染防治法 art. 43)"),
        ["未正常使用油烟净化设施"] = ("不正常使用油烟净化设施", "the wording of the Air Pollution Prevention Law art. 118"),
        ["净化器未开启"] = ("不正常使用油烟净化设施", "the wording of the Air Pollution Prevention Law art. 118"),
    };

    /// <summary>The Chinese word for key (for example "rule.dust.pm10"), or null when there is none.</summary>
    public static string? Zh(string key) => Terms.TryGetValue(key, out var t) ? t.Zh : null;

    /// <summary>The English word for key, or null when there is none.</summary>
    public static string? En(string key) => Terms.TryGetValue(key, out var t) ? t.En : null;

    /// <summary>The rule's name in Chinese; an unknown rule reads as 未知规则 rather than its code.</summary>
    public static string RuleZh(string? rule) => rule is null ? "—" : Zh("rule." + rule) ?? "未知规则";

    /// <summary>How a notice words the fact of the rule's breach, in Chinese.</summary>
    public static string FactZh(string? rule) => rule is null ? "—" : Zh("fact." + rule) ?? "超过排放限值";

    /// <summary>The site kind in Chinese.</summary>
    public static string KindZh(Telemetry.SiteKind kind) => Zh("kind." + kind.ToString().ToLowerInvariant()) ?? "";

    /// <summary>The lead or case status in Chinese; an unknown one reads as 未知状态.</summary>
    public static string StatusZh(string? status) => status is null ? "—" : Zh("status." + status) ?? "未知状态";

    /// <summary>A unit as Chinese text shows it (dB(A), µg/m³ and mg/m³ are written the same in Chinese).</summary>
    public static string UnitZh(string? unit) => unit is null ? "" : Zh("unit." + unit) ?? unit;

    /// <summary>Every key that starts with prefix (tests and docs walk them).</summary>
    public static IEnumerable<string> Keys(string prefix) => Terms.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The table as the pages load it: one I18n.add call with the Chinese and the English words.</summary>
    public static string Script()
    {
        var zh = Terms.ToDictionary(t => t.Key, t => t.Value.Zh, StringComparer.Ordinal);
        var en = Terms.ToDictionary(t => t.Key, t => t.Value.En, StringComparer.Ordinal);
        return new StringBuilder("// The bureau's words, from the fleet (Glossary/BureauWords.cs).\nI18n.add(")
            .Append(JsonSerializer.Serialize(zh)).Append(", ").Append(JsonSerializer.Serialize(en)).Append(");\n").ToString();
    }
}
