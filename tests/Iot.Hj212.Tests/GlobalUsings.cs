global using FsCheck;
global using FsCheck.Fluent;
global using Xunit;
global using Iot.Hj212;
