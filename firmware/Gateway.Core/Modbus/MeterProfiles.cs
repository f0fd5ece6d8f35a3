using Iot.Contract;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Modbus
{
    /// <summary>
    /// Register maps of the RS-485 meters the gateway supports; hardware/register-maps.md gives each map's
    /// source. Two are taken from vendors' published protocol pages (dust detector, wind-speed sensor) and
    /// checked against their example frames in the tests; the noise, wind-direction and fume maps are
    /// REPRESENTATIVE (typical layout of the common Chinese transmitters, not a vendor table) and must be
    /// checked against the delivered meter's manual before deployment.
    /// </summary>
    public static class MeterProfiles
    {
        /// <summary>
        /// REPRESENTATIVE. RS-485 noise transmitter: holding register 0x0000 = current A-weighted level in
        /// 0.1 dB, polled once a second; each reading is taken as that second's level.
        /// </summary>
        public static MeterProfile NoiseTransmitter()
        {
            return new MeterProfile("rs485-noise-transmitter", 1, 4800, 0, new RegisterPoint[]
            {
                new RegisterPoint(Channel.Laeq, ModbusRtuMaster.ReadHoldingRegisters, 0x0000, RegisterDataType.U16, WordOrder.HighFirst, 0.1, 0)
            });
        }

        /// <summary>
        /// Wuhan Boling (武汉博零科技) online dust detector, published protocol: 9600 8N1, holding registers,
        /// high byte first, 32-bit values high word first: TSP 0x00, PM10 0x02, PM2.5 0x04 (µg/m³),
        /// temperature 0x18, humidity 0x1A (their scale is not stated; 1 assumed).
        /// </summary>
        public static MeterProfile DustMonitor()
        {
            return new MeterProfile("boling-dust-detector", 1, 9600, 120, new RegisterPoint[]
            {
                new RegisterPoint(Channel.Tsp, ModbusRtuMaster.ReadHoldingRegisters, 0x0000, RegisterDataType.U32, WordOrder.HighFirst, 1, 0),
                new RegisterPoint(Channel.Pm10, ModbusRtuMaster.ReadHoldingRegisters, 0x0002, RegisterDataType.U32, WordOrder.HighFirst, 1, 0),
                new RegisterPoint(Channel.Pm25, ModbusRtuMaster.ReadHoldingRegisters, 0x0004, RegisterDataType.U32, WordOrder.HighFirst, 1, 0),
                new RegisterPoint(Channel.Temp, ModbusRtuMaster.ReadHoldingRegisters, 0x0018, RegisterDataType.S32, WordOrder.HighFirst, 1, 0),
                new RegisterPoint(Channel.Rh, ModbusRtuMaster.ReadHoldingRegisters, 0x001A, RegisterDataType.U32, WordOrder.HighFirst, 1, 0)
            });
        }

        /// <summary>
        /// QS-FS wind-speed sensor, 485 type, published protocol: factory slave 2, function 03, holding
        /// register 0x0000 = wind speed in 0.1 m/s (range 0-32.4 m/s). Baud not stated; 9600 assumed.
        /// </summary>
        public static MeterProfile WindSpeedSensor()
        {
            return new MeterProfile("qs-fs-wind-speed", 2, 9600, 0, new RegisterPoint[]
            {
                new RegisterPoint(Channel.Wind, ModbusRtuMaster.ReadHoldingRegisters, 0x0000, RegisterDataType.U16, WordOrder.HighFirst, 0.1, 0)
            });
        }

        /// <summary>
        /// REPRESENTATIVE. Wind-direction transmitter: holding register 0x0000 = direction in degrees (0-359),
        /// factory slave 3 so that it can share the bus with the wind-speed sensor.
        /// </summary>
        public static MeterProfile WindDirectionSensor()
        {
            return new MeterProfile("rs485-wind-direction", 3, 9600, 0, new RegisterPoint[]
            {
                new RegisterPoint(Channel.Wdir, ModbusRtuMaster.ReadHoldingRegisters, 0x0000, RegisterDataType.U16, WordOrder.HighFirst, 1, 0)
            });
        }

        /// <summary>
        /// REPRESENTATIVE. Cooking-fume (油烟) concentration monitor at the purifier outlet (0-30 mg/m³ class):
        /// concentration as float32 mg/m³ in input registers 0x0000-0x0001, low word first (CDAB).
        /// </summary>
        public static MeterProfile FumeMonitor()
        {
            return new MeterProfile("rs485-fume-monitor", 1, 9600, 300, new RegisterPoint[]
            {
                new RegisterPoint(Channel.Fume, ModbusRtuMaster.ReadInputRegisters, 0x0000, RegisterDataType.Float32, WordOrder.LowFirst, 1, 0)
            });
        }
    }
}
