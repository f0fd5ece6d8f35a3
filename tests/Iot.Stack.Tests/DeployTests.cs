using System.Diagnostics;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>The production install (fleet/deploy/): systemd accepts the units, and the generated configuration is current.</summary>
public sealed class DeployTests
{
    private static readonly string Deploy = Path.Combine(RepositoryPaths.Root(), "fleet", "deploy");

    [Fact]
    public async Task Systemd_units_pass_systemd_analyze_verify()
    {
        var analyze = ServerProcess.Which("systemd-analyze")
            ?? throw new InvalidOperationException("systemd-analyze is missing: ./iot test installs it (apt-get install systemd)");
        var units = Directory.CreateTempSubdirectory("iot-units-").FullName;
        try
        {
            foreach (var unit in Directory.GetFiles(Path.Combine(Deploy, "systemd"), "*.service"))
            {
                var text = File.ReadAllText(unit);
                // verify checks that ExecStart's binary exists; an SDK installed elsewhere than /usr/bin stands in for it here.
                if (!File.Exists("/usr/bin/dotnet") && ServerProcess.Which("dotnet") is { } dotnet) text = text.Replace("/usr/bin/dotnet", dotnet);
                File.WriteAllText(Path.Combine(units, Path.GetFileName(unit)), text);
            }
            var info = new ProcessStartInfo(analyze) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "verify", "--man=no" }.Concat(Directory.GetFiles(units).Order())) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.True(process.ExitCode == 0, $"systemd-analyze verify failed ({process.ExitCode}):\n{errors}{await output}");
            // Warnings (unknown keys, keys in the wrong section) do not fail verify; they should fail us.
            Assert.True(errors.Trim().Length == 0, errors);
        }
        finally
        {
            Directory.Delete(units, recursive: true);
        }
    }

    [Fact]
    public void Every_unit_restarts_on_failure_and_is_hardened()
    {
        foreach (var unit in Directory.GetFiles(Path.Combine(Deploy, "systemd"), "*.service"))
        {
            var lines = File.ReadAllLines(unit).Select(l => l.Trim()).ToHashSet();
            foreach (var required in new[] { "Restart=on-failure", "NoNewPrivileges=true", "ProtectSystem=strict", "PrivateTmp=true", "ProtectHome=true", "CapabilityBoundingSet=", "User=iot" })
                Assert.True(lines.Contains(required), $"{Path.GetFileName(unit)} lacks {required}");
            Assert.Contains(lines, l => l.StartsWith("StateDirectory=iot/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Generated_configuration_files_are_current()
    {
        Assert.Equal(ProductionInstall.BrokerConfig(), File.ReadAllText(Path.Combine(RepositoryPaths.Root(), ProductionInstall.BrokerConfigFile)));
        Assert.Equal(ProductionInstall.InfluxConfig(), File.ReadAllText(Path.Combine(RepositoryPaths.Root(), ProductionInstall.InfluxConfigFile)));
    }

    [Fact]
    public void Production_broker_sets_the_limits()
    {
        var conf = ProductionInstall.BrokerConfig().Split('\n');
        Assert.Contains($"max_packet_size {BrokerLimits.MaxPacketSize}", conf);
        Assert.Contains($"max_queued_messages {BrokerLimits.MaxQueuedMessages}", conf);
        Assert.Contains($"max_queued_bytes {BrokerLimits.MaxQueuedBytes}", conf);
        Assert.Contains("autosave_on_changes true", conf);
        Assert.Contains("autosave_interval 1", conf);
        Assert.DoesNotContain("user root", conf);
    }
}
