import './ui/shell/app';
