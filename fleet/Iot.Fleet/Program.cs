using Iot.Fleet;

// The pages and settings live next to the assembly, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFleet();
var app = builder.Build();
app.MapFleet();
app.Run();

/// <summary>Entry point, visible to tests that host the fleet.</summary>
public partial class Program;
