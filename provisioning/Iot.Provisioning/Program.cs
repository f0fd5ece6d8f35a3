using Iot.Provisioning;
using Spectre.Console;

return await ProvisioningCli.Create(AnsiConsole.Console).Parse(args).InvokeAsync();
