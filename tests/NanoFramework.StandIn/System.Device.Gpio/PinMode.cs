// Mirrors nanoframework/System.Device.Gpio at tag v1.1.62: System.Device.Gpio/PinMode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Gpio
{
    public enum PinMode
    {
        Input,
        InputPullDown,
        InputPullUp,
        Output,
        OutputOpenDrain,
        OutputOpenDrainPullUp,
        OutputOpenSource,
        OutputOpenSourcePullDown
    }
}
