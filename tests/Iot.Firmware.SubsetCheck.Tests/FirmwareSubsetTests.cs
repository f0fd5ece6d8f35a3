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
    public void Compiled_esp32_app_uses_no_generics()
    {
        var path = Setting("Esp32SubsetAssembly");
        Assert.True(File.Exists(path), $"build tests/Iot.Firmware.Esp32.SubsetCheck first: {path} is missing");

        var findings = GenericUsageInspector.Inspect(path);

        foreach (var f in findings) output.WriteLine(f);
        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("SubsetAssembly")]
    [InlineData("Esp32SubsetAssembly")]
    public void Compiled_firmware_turns_no_enum_into_text_by_name(string assembly)
    {
        var findings = EnumNameInspector.Inspect(Setting(assembly));

        foreach (var f in findings) output.WriteLine(f);
        Assert.Empty(findings);
    }

    /// <summary>
    /// The folders under firmware/ that run on nanoFramework. Gateway.Virtual (the .NET 10 simulated gateway)
    /// lives there too but runs on .NET, so it is not scanned.
    /// </summary>
    public static readonly string[] NanoFrameworkProjects = ["Gateway.Core", "Gateway.Esp32"];

    [Fact]
    public void Firmware_sources_use_no_banned_constructs()
    {
        var root = Setting("FirmwareSources");
        var findings = new List<Finding>();
        foreach (var project in NanoFrameworkProjects)
        {
            var dir = Path.Combine(root, project);
            Assert.True(Directory.Exists(dir), $"missing {dir}");
            findings.AddRange(BannedConstructScanner.ScanTree(dir).Select(f => f with { File = Path.Combine(project, f.File) }));
        }

        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.True(findings.Count == 0, "banned constructs:\n" + string.Join("\n", findings));
        Assert.True(Directory.EnumerateFiles(Path.Combine(root, "Gateway.Core"), "*.cs", SearchOption.AllDirectories).Count() > 10, "the scan must actually see the firmware");
        foreach (var app in new[] { "Program.cs", "PinMap.cs", Path.Combine("Adapters", "M2MqttLink.cs") })
            Assert.True(File.Exists(Path.Combine(root, "Gateway.Esp32", app)), $"the scan must see the ESP32 app: Gateway.Esp32/{app}");
    }
}
