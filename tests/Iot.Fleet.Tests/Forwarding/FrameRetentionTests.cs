using Dapper;
using Iot.Fleet.Forwarding;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Forwarding;

/// <summary>Acknowledged outbound frames are kept Hj212:AcknowledgedDays (for the platform's history requests), then deleted;
/// a frame the platform has not acknowledged stays however old.</summary>
public sealed class FrameRetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hj212-retention-").FullName;
    private readonly FleetDatabase _database;
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public FrameRetentionTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
    }

    private PlatformQueue Queue(ForwardingOptions options)
    {
        var registry = new SiteRegistry(_database);
        return new(_database, new RecordJournal(_database, new RawMessageStore(_database, Path.Combine(_dir, "raw"))), registry, new ReportingSites(_database, registry, Options.Create(options), new FixedClock(Now)),
            Options.Create(options), new FixedClock(Now), NullLogger<PlatformQueue>.Instance);
    }

    private void Frame(string qn, DateTimeOffset dataTime, DateTimeOffset? ackedAt)
    {
        using var connection = _database.Open();
        connection.Execute("INSERT INTO hj212_frames (site, platform, mn, cn, data_time, qn, cp, created_at, sends, acked_at) VALUES ('K-1', 'city', 'MN1', '2051', @t, @qn, 'DataTime=x', @t, 1, @acked)",
            new { qn, t = dataTime.ToUnixTimeSeconds(), acked = ackedAt?.ToUnixTimeMilliseconds() });
    }

    private List<string> Kept()
    {
        using var connection = _database.Open();
        return connection.Query<string>("SELECT qn FROM hj212_frames ORDER BY qn").ToList();
    }

    [Fact]
    public void Frames_acknowledged_longer_ago_than_the_limit_are_deleted_and_unacknowledged_ones_stay()
    {
        Frame("1-acked-40-days-ago", Now.AddDays(-41), Now.AddDays(-40));
        Frame("2-acked-29-days-ago", Now.AddDays(-30), Now.AddDays(-29));
        Frame("3-never-acked", Now.AddDays(-100), null);

        Assert.Equal(1, Queue(new ForwardingOptions()).TrimAcknowledged()); // default: 30 days
        Assert.Equal(["2-acked-29-days-ago", "3-never-acked"], Kept());
        Assert.Equal(0, Queue(new ForwardingOptions { AcknowledgedDays = 0 }).TrimAcknowledged()); // 0 keeps them
        Assert.Equal(1, Queue(new ForwardingOptions { AcknowledgedDays = 7 }).TrimAcknowledged());
        Assert.Equal(["3-never-acked"], Kept());
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(2, true)]  // 48 hours: the default MaxAgeHours
    [InlineData(1, false)] // a deleted minute could be framed again from a late record
    [InlineData(-1, false)]
    public void Acknowledged_frames_outlive_the_age_a_record_is_still_forwarded(double days, bool accepted)
    {
        var problems = new ForwardingOptions { AcknowledgedDays = days }.Problems().ToList();
        Assert.Equal(accepted, !problems.Any(p => p.Contains("AcknowledgedDays")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
