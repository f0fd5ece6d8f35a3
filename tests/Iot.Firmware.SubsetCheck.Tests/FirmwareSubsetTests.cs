using System.Reflection;
using Xunit.Abstractions;

namespace Iot.Firmware.SubsetCheck.Tests;

public class FirmwareSubsetTests(ITestOutputHelper output)
{
    private static string Setting(string key) =>
        typeof(FirmwareSubsetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    [Fact]
    public void Compiled_firmware_subset_uses_no_generics()
    {
        var path = Setting("SubsetAssembly");
        Assert.True(File.Exists(path), $"build tests/Iot.Firmware.SubsetCheck first: {path} is missing");

        var findings = GenericUsageInspector.Inspect(path);

        foreach (var f in findings) output.WriteLine(f);
        Assert.Empty(findings);
    }

    [Fact]
    public void Firmware_sources_use_no_banned_constructs()
    {
        var root = Setting("FirmwareSources");
        var findings = BannedConstructScanner.ScanTree(root);

        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.True(findings.Count == 0, "banned constructs:\n" + string.Join("\n", findings));
        Assert.True(Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Count() > 10, "the scan must actually see the firmware");
    }
}
