// Mirrors nanoframework/System.Device.Gpio at tag v1.1.62: System.Device.Gpio/PinValue.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Gpio
{
    public struct PinValue
    {
        private byte _value;
        public static PinValue High { get { throw new NotImplementedException(); } }
        public static PinValue Low { get { throw new NotImplementedException(); } }
        public bool Equals(PinValue other) { throw new NotImplementedException(); }
        public override bool Equals(object obj) { throw new NotImplementedException(); }
        public override int GetHashCode() { throw new NotImplementedException(); }
        public static bool operator ==(PinValue a, PinValue b) { throw new NotImplementedException(); }
        public static bool operator !=(PinValue a, PinValue b) { throw new NotImplementedException(); }
    }
}
