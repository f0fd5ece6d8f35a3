// Mirrors nanoframework/System.IO.Ports at tag v1.1.139: System.IO.Ports/SerialMode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO.Ports
{
    public enum SerialMode
    {
        Normal,
        RS485
    }
}
