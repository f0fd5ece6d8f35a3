using Iot.Contract.Http;
using Iot.Contract.Factory;
using Iot.Provisioning.Import;

namespace Iot.Provisioning.Tests;

public sealed class ImportBatchTests
{
    private const string GoodSites = """
        id,name,kind,lat,lon,grid,business_hours,profile
        R-WANG,Wang's Noodles,fume,30.2741,120.1551,XH-03,10:00-14:00;17:00-22:00,
        C-METRO7,Metro line 7 depot,noise,30.3,120.2,XH-04,,default
        """;

    private static ImportPlan Check(string sites, string devices, params string[] fleetSites) =>
        ImportBatch.Check(CsvTable.Parse(sites, "sites.csv"), CsvTable.Parse(devices, "devices.csv"), fleetSites.ToHashSet());

    [Fact]
    public void Good_files_become_one_request()
    {
        var plan = Check(GoodSites, "id,site\nNS-000001,R-WANG\nNS-000002,C-METRO7\nNS-000003,D-OLD", "D-OLD");
        Assert.Empty(plan.Errors);
        var wang = plan.Request.Sites[0];
        Assert.Equal(new SiteSpec("R-WANG", "Wang's Noodles", "fume", 30.2741, 120.1551, "XH-03", wang.BusinessHours), wang);
        Assert.Equal([new HoursSpan("10:00", "14:00"), new HoursSpan("17:00", "22:00")], plan.Request.Sites[0].BusinessHours);
        Assert.Equal("default", plan.Request.Sites[1].Profile);
        Assert.Null(plan.Request.Sites[1].BusinessHours);
        Assert.Equal([new DeviceAssignment("NS-000001", "R-WANG"), new DeviceAssignment("NS-000002", "C-METRO7"), new DeviceAssignment("NS-000003", "D-OLD")],
            plan.Request.Devices);
        Assert.Equal([2, 3], plan.SiteRows);
        Assert.Equal([2, 3, 4], plan.DeviceRows);
    }

    [Fact]
    public void Every_bad_row_is_named_by_file_row_and_column()
    {
        var sites = """
            id,name,kind,lat,lon
            R-WANG,Wang's Noodles,smoke,30.27,120.15
            R-LI,Li's Grill,fume,"30,27",120.15
            r li,Li's Grill,fume,95,200
            R-WANG,Again,fume,30.1,120.1
            D-OLD,Exists,dust,30.1,120.1
            C-NEW,,noise,30.1,120.1
            """;
        var devices = """
            id,site
            NS-000001,R-WANG
            ns-2,R-WANG
            NS-000001,R-WANG
            NS-000004,NOWHERE
            NS-000005,
            """;
        var plan = Check(sites, devices, "D-OLD");
        Assert.Equal(
        [
            "sites.csv row 2, column kind: unknown kind 'smoke' (expected fume, noise, dust)",
            "sites.csv row 3, column lat: '30,27' is not a number of degrees (use a dot: 30.2741)",
            "sites.csv row 4, column id: 'r li' is not a valid site id (^[A-Z0-9][A-Z0-9-]{2,31}$)",
            "sites.csv row 4, column lat: latitude 95 is not between -90 and 90",
            "sites.csv row 4, column lon: longitude 200 is not between -180 and 180",
            "sites.csv row 5, column id: site R-WANG already appears in row 2",
            "sites.csv row 6, column id: site D-OLD already exists in the fleet",
            "sites.csv row 7, column name: a site needs a name",
            "devices.csv row 3, column id: 'ns-2' is not a valid device id (^[A-Z0-9][A-Z0-9-]{2,31}$)",
            "devices.csv row 4, column id: device NS-000001 already appears in row 2",
            "devices.csv row 5, column site: unknown site 'NOWHERE': not in sites.csv and not in the fleet",
            "devices.csv row 6, column site: every device needs a site",
        ], plan.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Missing_and_unknown_columns_are_named()
    {
        var plan = Check("id,name,kind,lat,colour\n", "id,site\n");
        Assert.Equal(
        [
            "sites.csv row 1, column lon: required column is missing",
            "sites.csv row 1, column colour: unknown column (known: id, name, kind, lat, lon, grid, business_hours, profile, timezone)",
        ], plan.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Bad_business_hours_are_named()
    {
        var plan = Check("id,name,kind,lat,lon,business_hours\nR-1X,A,fume,30,120,10:00-25:00", "id,site\n");
        Assert.Equal(["sites.csv row 2, column business_hours: '10:00-25:00' is not a span of hours like 10:00-22:00"], plan.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void The_fleets_refusals_map_back_to_csv_rows()
    {
        var plan = Check(GoodSites, "id,site\nNS-000001,R-WANG\nNS-000002,C-METRO7");
        Assert.Equal("devices.csv row 3, column id: no such gateway in the factory list",
            plan.ToRowError(new ImportItemError("devices", 1, "id", "no such gateway in the factory list")).ToString());
        Assert.Equal("sites.csv row 3, column profile: unknown profile",
            plan.ToRowError(new ImportItemError("sites", 1, "profile", "unknown profile")).ToString());
    }
}

public sealed class ExampleFileTests
{
    [Fact]
    public void The_example_files_in_the_readme_folder_are_valid()
    {
        var examples = Path.Combine(AppContext.BaseDirectory, "examples");
        var plan = ImportBatch.Check(CsvTable.Load(Path.Combine(examples, "sites.csv")), CsvTable.Load(Path.Combine(examples, "devices.csv")),
            new HashSet<string>());
        Assert.Empty(plan.Errors);
        Assert.Equal(4, plan.Request.Sites.Count);
        Assert.Equal(4, plan.Request.Devices.Count);
        Assert.Equal("Night BBQ, Wenyi Rd", plan.Request.Sites[1].Name);
    }
}
