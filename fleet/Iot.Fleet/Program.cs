using Iot.Fleet;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleet();
var app = builder.Build();
app.MapFleet();
app.Run();

/// <summary>Entry point, visible to tests that host the fleet.</summary>
public partial class Program;
