using Iot.Stack;

// `./iot up`: the project's servers with state under .iot/, until Ctrl-C.
var root = Environment.GetEnvironmentVariable("IOT_ROOT") ?? Directory.GetCurrentDirectory();
var command = args.FirstOrDefault();
if (command != "up")
{
    Console.Error.WriteLine("usage: Iot.Stack up [--no-demo]");
    return 2;
}
var demo = !args.Contains("--no-demo");
return new LocalStack(Path.Combine(root, ".iot")).Run(demo);
