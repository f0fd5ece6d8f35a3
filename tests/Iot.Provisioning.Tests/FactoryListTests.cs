using Iot.Contract.Factory;
using Iot.Contract.Identity;
using Iot.Provisioning.Factory;

namespace Iot.Provisioning.Tests;

public sealed class FactoryListTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("iot-prov-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Round_trips_and_is_owner_only()
    {
        var batch = FactoryBatch.Generate("NS", 1, 20, 6, new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var path = Path.Combine(folder, FactoryList.FileName);
        FactoryList.Write(path, batch);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("id,claim_code,bootstrap_secret,created,ap_password\nNS-000001,", File.ReadAllText(path));
        var read = FactoryList.Read(CsvTable.Load(path), out var errors);
        Assert.Empty(errors);
        Assert.Equal(batch, read);
        Assert.All(read, i => Assert.Equal(HotspotPassword.Length, i.HotspotPassword?.Length));
    }

    [Fact]
    public void A_list_from_before_hotspot_passwords_still_reads_and_round_trips_without_them()
    {
        var batch = FactoryBatch.Generate("NS", 1, 3, 6, new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var csv = "id,claim_code,bootstrap_secret,created\n" + string.Join("\n", batch.Select(i => $"{i.Id},{i.ClaimCode},{i.BootstrapSecret},2026-03-01T08:00:00Z"));
        var old = FactoryList.Read(CsvTable.Parse(csv, "old.csv"), out var errors);
        Assert.Empty(errors);
        Assert.Equal(batch.Select(i => i with { HotspotPassword = null }), old);

        // Written again (a merged list, say): the column is there, empty for these gateways, and reads back as none.
        var again = FactoryList.Read(CsvTable.Parse(FactoryList.Format(old), "again.csv"), out errors);
        Assert.Empty(errors);
        Assert.Equal(old, again);
        Assert.Contains($"{batch[0].BootstrapSecret},2026-03-01T08:00:00Z,\n", FactoryList.Format(old));

        // Older and newer gateways in one list.
        var mixed = FactoryList.Read(CsvTable.Parse(FactoryList.Format([old[0], batch[1]]), "mixed.csv"), out errors);
        Assert.Empty(errors);
        Assert.Equal([null, batch[1].HotspotPassword], mixed.Select(i => i.HotspotPassword));
    }

    [Fact]
    public void Never_overwrites()
    {
        var path = Path.Combine(folder, FactoryList.FileName);
        File.WriteAllText(path, "keep me");
        Assert.Throws<IOException>(() => FactoryList.Write(path, FactoryBatch.Generate("NS", 1, 1, 6, DateTimeOffset.UtcNow)));
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void A_hotspot_password_the_firmware_would_refuse_is_named_by_row_and_column()
    {
        var good = FactoryBatch.Generate("NS", 1, 2, 6, DateTimeOffset.UtcNow);
        var csv = $"""
            id,claim_code,bootstrap_secret,created,ap_password
            {good[0].Id},{good[0].ClaimCode},{good[0].BootstrapSecret},2026-03-01T08:00:00Z,short
            {good[1].Id},{good[1].ClaimCode},{good[1].BootstrapSecret},2026-03-01T08:00:00Z,"has space"
            """;
        FactoryList.Read(CsvTable.Parse(csv, "factory-list.csv"), out var errors);
        Assert.Equal(
        [
            "factory-list.csv row 2, column ap_password: not a hotspot password (8 to 63 printable ASCII characters, no spaces)",
            "factory-list.csv row 3, column ap_password: not a hotspot password (8 to 63 printable ASCII characters, no spaces)",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Bad_rows_are_named_by_row_and_column()
    {
        var good = FactoryBatch.Generate("NS", 1, 1, 6, DateTimeOffset.UtcNow)[0];
        var csv = $"""
            id,claim_code,bootstrap_secret,created
            {good.Id},{good.ClaimCode},{good.BootstrapSecret},2026-03-01T08:00:00Z
            {good.Id},{good.ClaimCode},short,2026-03-01T08:00:00Z
            ns-2,ABCD,{good.BootstrapSecret},yesterday
            """;
        FactoryList.Read(CsvTable.Parse(csv, "factory-list.csv"), out var errors);
        Assert.Equal(
        [
            "factory-list.csv row 3, column id: NS-000001 already appears in row 2",
            "factory-list.csv row 3, column claim_code: same claim code as row 2",
            "factory-list.csv row 3, column bootstrap_secret: not a bootstrap secret (43 base64url characters)",
            "factory-list.csv row 4, column id: 'ns-2' is not a valid device id (^[A-Z0-9][A-Z0-9-]{2,31}$)",
            "factory-list.csv row 4, column claim_code: a claim code has 10 characters (XXXX-XXXX-XX), this one has 4",
            "factory-list.csv row 4, column created: 'yesterday' is not a date and time",
        ], errors.Select(e => e.ToString()));
    }
}
