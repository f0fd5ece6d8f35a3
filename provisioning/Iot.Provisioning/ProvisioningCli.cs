using System.CommandLine;
using Iot.Provisioning.Claim;
using Iot.Provisioning.Factory;
using Iot.Provisioning.Import;
using Iot.Provisioning.Labels;
using Spectre.Console;

namespace Iot.Provisioning;

/// <summary>The <c>iot-prov</c> command tree; the console is passed in so tests can read what it prints.</summary>
public static class ProvisioningCli
{
    public static RootCommand Create(IAnsiConsole console) => new("iot-prov: the factory's and the installer's tools for Iot gateways")
    {
        FactoryCommand.Create(console),
        UploadFactoryCommand.Create(console),
        LabelsCommand.Create(console),
        ClaimCommand.Create(console),
        ChecklistCommand.Create(console),
        ImportCommand.Create(console),
    };
}
